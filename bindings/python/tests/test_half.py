"""float16 and bfloat16 logits (numpy.float16, ml_dtypes.bfloat16) on this backend.

The library computes in float32 or double and rounds each result once to the storage type, so
every loss and gradient must be within 1 ulp of that type of the exact value. The exact values
come from an independent float64 reference (hard targets: the closed form of docs/math.md in log
space, itself checked against mpmath; softmax and soft targets: reference.py), never from the
library. Sweeps: every finite value of each type as a logit, with targets 0 and 1, gamma in
{0, 0.5, 2}, alpha 0.25 and None.

bfloat16 needs ml_dtypes. Without it the bfloat16 tests skip, except under CI (CI set in the
environment), where they fail: `make test` runs this suite on build/test-venv, which has it.
"""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

import focalloss
import reference
from focalloss import _ctypes_backend, _frontend

try:
    import ml_dtypes
except ImportError:  # the core package needs numpy only
    ml_dtypes = None

try:
    from focalloss import _ext
except ImportError:  # pragma: no cover - the Makefile always builds it
    _ext = None

F16 = np.dtype(np.float16)
BF16 = None if ml_dtypes is None else np.dtype(ml_dtypes.bfloat16)

#: Per type: significand bits p (with the implicit one), the smallest normal exponent, the bit
#: position and width of the exponent field (all ones: infinity or NaN).
FORMATS = {"float16": (11, -14, 10, 5), "bfloat16": (8, -126, 7, 8)}

GAMMAS = [0.0, 0.5, 2.0]
ALPHAS = [0.25, None]
REDUCTIONS = ["none", "sum", "mean"]


@pytest.fixture(params=["float16", "bfloat16"])
def dtype(request):
    if request.param == "float16":
        return F16
    if BF16 is None:
        if os.environ.get("CI"):
            pytest.fail("ml_dtypes is not installed, so bfloat16 goes untested: `make test` runs the Python suite "
                        "on build/test-venv, which has it")
        pytest.skip("ml_dtypes is not installed: no bfloat16 arrays")
    return BF16


# ---- Helpers -----------------------------------------------------------------------------------

def ulp(value, dtype):
    """The unit in the last place of `dtype` at |value| (float64): 2^(e - p + 1) for |value| in
    [2^e, 2^(e + 1)), with e at least the smallest normal exponent (subnormals, and 0)."""
    p, emin, _, _ = FORMATS[dtype.name]
    v = np.abs(np.asarray(value, dtype=np.float64))
    _, e = np.frexp(v)  # v = m 2^e, m in [0.5, 1)
    e = np.where(v == 0, emin, np.maximum(e - 1, emin))
    return np.ldexp(1.0, e - p + 1)


def as64(array):
    return np.asarray(array).astype(np.float64)


def assert_within_ulps(actual, exact, dtype, inputs=None, slack=0.0, what="value"):
    """|actual - exact| <= 1 ulp of `dtype` at exact (plus `slack`, the computation's rounding
    where the gradient's terms cancel); NaN anywhere fails. Names the first offenders."""
    actual = np.asarray(actual)
    assert actual.dtype == dtype, (actual.dtype, dtype)
    got, exact = as64(actual), np.asarray(exact, dtype=np.float64)
    assert got.shape == exact.shape, (got.shape, exact.shape)
    bound = ulp(exact, dtype) + slack
    bad = ~(np.abs(got - exact) <= bound)
    if bad.any():
        where = np.argwhere(bad)[:5]
        rows = []
        for index in map(tuple, where):
            x = "" if inputs is None else "logit %r, " % float(as64(inputs)[index])
            rows.append("%sexact %r, got %r (%.3g ulps)" % (x, float(exact[index]), float(got[index]),
                                                          abs(got[index] - exact[index]) / ulp(exact[index], dtype)))
        pytest.fail("%s: %d of %d beyond 1 ulp of %s: %s" % (what, int(bad.sum()), bad.size, dtype, "; ".join(rows)))


def finite_values(dtype):
    """Every finite value of the type (signed zeros, subnormals, the largest), as its array."""
    _, _, shift, width = FORMATS[dtype.name]
    bits = np.arange(65536, dtype=np.uint16)
    exponent = (bits >> shift) & ((1 << width) - 1)
    return bits[exponent != (1 << width) - 1].view(dtype)


def hard_reference(x, t, alpha, gamma):
    """Exact (float64) loss and gradient of the sigmoid focal loss with hard targets t (0/1),
    docs/math.md: with x_t = (2t - 1) x, p_t = sigmoid(x_t),

        loss       = -alpha_t (1 - p_t)^gamma log p_t
        dloss/dx_t = -alpha_t (1 - p_t)^gamma [(1 - p_t) - gamma p_t log p_t],  dloss/dx = (2t - 1) dloss/dx_t

    in log space: log p_t = -softplus(-x_t), log(1 - p_t) = -softplus(x_t), (1 - p_t)^gamma =
    exp(gamma log(1 - p_t)); no 1 - p by subtraction, no cancellation (both bracket terms >= 0)."""
    x = np.asarray(x, dtype=np.float64)
    t = np.broadcast_to(np.asarray(t, dtype=np.float64), x.shape)
    sign = 2.0 * t - 1.0
    xt = sign * x
    log_p = -np.logaddexp(0.0, -xt)
    log_m = -np.logaddexp(0.0, xt)
    alpha_t = np.ones_like(x) if alpha is None else np.where(t == 1, alpha, 1.0 - alpha)
    focus = np.exp(gamma * log_m)
    loss = alpha_t * focus * -log_p
    grad = sign * -alpha_t * focus * (np.exp(log_m) - gamma * np.exp(log_p) * log_p)
    return loss, grad


def array(values, dtype):
    return np.asarray(values, dtype=np.float64).astype(dtype)


def logits_for(rng, shape, dtype, scale=4.0, largest=None):
    """Normal logits of the type, with the danger points of float16 among them."""
    x = rng.normal(0, scale, size=shape)
    extremes = [8.32, -8.32, 11.09, -11.09, 30.0, -30.0] + ([largest, -largest] if largest else [])
    count = min(len(extremes), x.size)
    x.flat[:count] = extremes[:count]
    return x.astype(dtype)


def same_bits(a, b):
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(same_bits(u, v) for u, v in zip(a, b))
    if isinstance(a, focalloss.FocalStats):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def largest(dtype):
    """The largest finite value: 65504 for float16, 3.3895e38 for bfloat16."""
    _, _, shift, width = FORMATS[dtype.name]
    return float(as64(np.array([((1 << width) - 2) << shift | ((1 << shift) - 1)], np.uint16).view(dtype))[0])


# ---- The reference itself, against mpmath ------------------------------------------------------

def test_hard_reference_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    values = list(as64(finite_values(F16))[::331]) + [8.32, -8.32, 11.09, -11.09, 65504.0, -65504.0, 1e-7, -3e38,
                                                       3e38, 88.0, -88.0, 745.0, -745.0]
    for t in (0, 1):
        for gamma in GAMMAS:
            for alpha in ALPHAS:
                loss, grad = hard_reference(np.array(values), t, alpha, gamma)
                for x, got_loss, got_grad in zip(values, loss, grad):
                    xt = mpmath.mpf(x) * (2 * t - 1)
                    p = 1 / (1 + mpmath.exp(-xt))
                    m = 1 / (1 + mpmath.exp(xt))
                    log_p = -mpmath.log1p(mpmath.exp(-xt)) if xt > -30 else xt - mpmath.log1p(mpmath.exp(xt))
                    a = 1 if alpha is None else (alpha if t == 1 else 1 - alpha)
                    focus = m**gamma if gamma else mpmath.mpf(1)
                    exact_loss = -a * focus * log_p
                    exact_grad = (2 * t - 1) * -a * focus * (m - gamma * p * log_p)
                    for got, exact in ((got_loss, exact_loss), (got_grad, exact_grad)):
                        # Relative 1e-13, or below float64's range (exact values under 1e-300).
                        error = abs(mpmath.mpf(float(got)) - exact)
                        assert error <= 1e-13 * abs(exact) + mpmath.mpf("1e-300"), (x, t, gamma, alpha, got, exact)


# ---- Every finite logit ------------------------------------------------------------------------

@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", ALPHAS, ids=["alpha0.25", "alphaNone"])
def test_every_finite_logit(dtype, gamma, alpha):
    values = finite_values(dtype)
    x = np.concatenate([values, values])  # targets 0, then 1
    t = np.concatenate([np.zeros(values.size), np.ones(values.size)])
    loss, grad = focalloss.sigmoid_focal_loss(x, t.astype(dtype), alpha=alpha, gamma=gamma, return_grad=True)
    exact_loss, exact_grad = hard_reference(as64(x), t, alpha, gamma)
    assert np.isfinite(as64(loss)).all() and np.isfinite(as64(grad)).all()
    assert_within_ulps(loss, exact_loss, dtype, x, what="loss")
    assert_within_ulps(grad, exact_grad, dtype, x, what="gradient")


def test_danger_points_are_finite(dtype):
    """Where float16 breaks a naive formula: 1 - sigmoid(x) rounds to 0 (|x| >= 8.32), e^x
    overflows (|x| >= 11.09), and the largest finite values. Hard and soft targets, every
    gamma and alpha: finite, and within 1 ulp."""
    top = largest(dtype)
    points = [8.31, 8.32, 8.33, 11.08, 11.09, 11.1, 17.0, 100.0, 1000.0, 65504.0, top]
    x = array(points + [-p for p in points], dtype)
    for t_value in (0.0, 1.0, 0.25, 0.5, 0.9):
        t = array(np.full(x.shape, t_value), dtype)  # 0.9 rounded to the type: the reference takes that
        for gamma in GAMMAS:
            for alpha in ALPHAS:
                loss, grad = focalloss.sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma, return_grad=True)
                assert np.isfinite(as64(loss)).all() and np.isfinite(as64(grad)).all(), (t_value, gamma, alpha)
                exact_loss, exact_grad, scale = reference.sigmoid(as64(x), as64(t), alpha, gamma)
                what = "t = %r, gamma %r, alpha %r" % (t_value, gamma, alpha)
                assert_within_ulps(loss, exact_loss, dtype, x, what="loss, " + what)
                assert_within_ulps(grad, exact_grad, dtype, x, slack=1e-6 * scale, what="gradient, " + what)


# ---- Reductions, labels, softmax, weights ------------------------------------------------------

def reduced_reference(loss, grad, reduction, divisor):
    """The reduced loss (exact sum, math.fsum) and the gradient of the returned loss."""
    if reduction == "none":
        return loss, grad
    total = math.fsum(np.ravel(loss))
    return (total, grad) if reduction == "sum" else (total / divisor, grad / divisor)


def check_reduced(result, exact, dtype, reduction, x, scale=None, what=""):
    (loss, grad), (exact_loss, exact_grad) = result, exact
    if reduction == "none":
        assert isinstance(loss, np.ndarray)
    else:
        assert np.ndim(loss) == 0 and type(loss) is dtype.type, type(loss)  # a numpy scalar of the type
    slack = 0.0 if scale is None else 1e-6 * scale
    assert_within_ulps(np.asarray(loss), np.asarray(exact_loss), dtype, what="loss " + what)
    assert_within_ulps(grad, exact_grad, dtype, x, slack=slack, what="gradient " + what)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_reductions(dtype, reduction):
    rng = np.random.default_rng(11)
    x = logits_for(rng, (40, 3, 5), dtype)
    hard = (rng.random(x.shape) < 0.2).astype(np.float64)
    soft = rng.choice([0.0, 0.125, 0.5, 0.75, 1.0], size=x.shape)
    for gamma in GAMMAS:
        for t in (hard, soft):
            loss, grad, scale = reference.sigmoid(as64(x), t, 0.25, gamma)
            result = focalloss.sigmoid_focal_loss(x, t.astype(dtype), gamma=gamma, reduction=reduction,
                                                  return_grad=True)
            check_reduced(result, reduced_reference(loss, grad, reduction, x.size), dtype, reduction, x,
                          scale / (x.size if reduction == "mean" else 1), "gamma %r" % gamma)
    if reduction == "mean":  # the normalizer replaces the divisor
        loss, grad = hard_reference(as64(x), hard, 0.25, 2.0)
        result = focalloss.sigmoid_focal_loss(x, hard.astype(dtype), reduction="mean", normalizer=7,
                                              return_grad=True)
        check_reduced(result, reduced_reference(loss, grad, "mean", 7.0), dtype, "mean", x, what="normalizer")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_dtype", [np.int64, np.int32])
def test_labels(dtype, reduction, label_dtype):
    rng = np.random.default_rng(12)
    n, c, inner = 30, 4, 3
    x = logits_for(rng, (n, c, inner), dtype)
    labels = rng.integers(0, c + 1, size=(n, inner))  # c is background
    labels[rng.random(labels.shape) < 0.2] = -100
    kept = labels != -100
    onehot = (np.arange(c)[None, :, None] == labels[:, None, :]).astype(np.float64)
    for gamma in GAMMAS:
        for alpha in ALPHAS:
            loss, grad = hard_reference(as64(x), onehot, alpha, gamma)
            loss, grad = loss * kept[:, None, :], grad * kept[:, None, :]
            result = focalloss.sigmoid_focal_loss_from_labels(x, labels.astype(label_dtype), alpha=alpha, gamma=gamma,
                                                              reduction=reduction, return_grad=True)
            check_reduced(result, reduced_reference(loss, grad, reduction, kept.sum() * c), dtype, reduction, x,
                          what="gamma %r alpha %r" % (gamma, alpha))


@pytest.mark.parametrize("shape", [(37, 5), (2, 4, 3, 5)], ids=["NC", "NCHW"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_softmax(dtype, shape, reduction):
    rng = np.random.default_rng(13)
    # Differences stay below 30000: a larger loss would exceed float16's largest value.
    x = logits_for(rng, shape, dtype, scale=3.0, largest=15000.0)
    c = shape[1]
    y = rng.integers(0, c, size=shape[:1] + shape[2:])
    y.flat[1] = -100
    for gamma in GAMMAS:
        for alpha in (None, rng.uniform(0.5, 2.0, size=c)):
            for smoothing in (0.0, 0.1):
                loss, grad, scale = reference.softmax(as64(x), y, alpha, gamma, -100, smoothing)
                weights = np.ones(c) if alpha is None else alpha
                divisor = sum(weights[label] for label in y.flat if label != -100)
                result = focalloss.softmax_focal_loss(x, y, alpha=alpha, gamma=gamma, reduction=reduction,
                                                      label_smoothing=smoothing, return_grad=True)
                check_reduced(result, reduced_reference(loss, grad, reduction, divisor), dtype, reduction, x,
                              scale / (divisor if reduction == "mean" else 1),
                              "gamma %r alpha %s smoothing %r" % (gamma, alpha is not None, smoothing))


def test_weighted(dtype):
    """The three _weighted functions: w times the exact loss and gradient, within 1 ulp (the
    weights are exact in the type), per element and per position."""
    rng = np.random.default_rng(14)
    n, c, inner = 20, 3, 4
    x = logits_for(rng, (n, c, inner), dtype)
    t = (rng.random(x.shape) < 0.3).astype(np.float64)
    choices = [0.0, 0.5, 1.0, 1.5, 2.75]
    w_elem = rng.choice(choices, size=x.shape)
    w_pos = rng.choice(choices, size=(n, inner))
    for w, w_full in ((w_elem, w_elem), (w_pos, np.broadcast_to(w_pos[:, None, :], x.shape))):
        loss, grad = hard_reference(as64(x), t, 0.25, 2.0)
        for reduction in REDUCTIONS:
            result = focalloss.sigmoid_focal_loss(x, t.astype(dtype), reduction=reduction, return_grad=True,
                                                  weights=w.astype(dtype))
            check_reduced(result, reduced_reference(w_full * loss, w_full * grad, reduction, x.size), dtype,
                          reduction, x, what="sigmoid weighted")
    labels = rng.integers(0, c + 1, size=(n, inner))
    labels[0, 0] = -100
    kept = (labels != -100)[:, None, :]
    onehot = (np.arange(c)[None, :, None] == labels[:, None, :]).astype(np.float64)
    loss, grad = hard_reference(as64(x), onehot, 0.25, 2.0)
    for w, w_full in ((w_elem, w_elem), (w_pos, np.broadcast_to(w_pos[:, None, :], x.shape))):
        for reduction in REDUCTIONS:
            result = focalloss.sigmoid_focal_loss_from_labels(x, labels, reduction=reduction, return_grad=True,
                                                              weights=w.astype(dtype))
            check_reduced(result, reduced_reference(kept * w_full * loss, kept * w_full * grad, reduction,
                                                    kept.sum() * c), dtype, reduction, x, what="labels weighted")
    y = rng.integers(0, c, size=(n, inner))
    loss, grad, scale = reference.softmax(as64(x), y, None, 2.0, -100, 0.0)
    for reduction in REDUCTIONS:
        result = focalloss.softmax_focal_loss(x, y, reduction=reduction, return_grad=True, weights=w_pos.astype(dtype))
        divisor = w_pos.sum()
        w_grad = w_pos[:, None, :]
        check_reduced(result, reduced_reference(w_pos * loss, w_grad * grad, reduction, divisor), dtype, reduction,
                      x, w_grad * scale / (divisor if reduction == "mean" else 1), "softmax weighted")


def calls(dtype, rng, shape):
    """(function, logits, second argument, per-position weights shape) for the three functions."""
    x = logits_for(rng, shape, dtype)
    c = shape[1]
    positions = shape[:1] + shape[2:]
    t = (rng.random(shape) < 0.1).astype(dtype)
    labels = rng.integers(0, c + 1, size=positions)
    labels[rng.random(positions) < 0.05] = -100
    targets = rng.integers(0, c, size=positions)
    return [(focalloss.sigmoid_focal_loss, x, t, positions),
            (focalloss.sigmoid_focal_loss_from_labels, x, labels, positions),
            (focalloss.softmax_focal_loss, x, targets, positions)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weights_of_ones_are_no_weights(dtype, reduction):
    rng = np.random.default_rng(15)
    for function, x, second, positions in calls(dtype, rng, (6, 4, 5)):
        plain = function(x, second, reduction=reduction, return_grad=True)
        shapes = [positions] + ([x.shape] if function is not focalloss.softmax_focal_loss else [])
        for shape in shapes:
            ones = np.ones(shape, dtype)
            assert same_bits(function(x, second, reduction=reduction, return_grad=True, weights=ones), plain)
        loss, grad, stats = function(x, second, reduction=reduction, return_grad=True, return_stats=True)
        assert same_bits((loss, grad), plain) and isinstance(stats, focalloss.FocalStats)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_threads_bitwise(dtype, reduction):
    """num_threads 1 and 2 give the same bits, on 150,000 elements."""
    rng = np.random.default_rng(16)
    for function, x, second, positions in calls(dtype, rng, (10000, 5, 3)):
        w = rng.choice([0.0, 0.5, 1.0, 2.0], size=positions).astype(dtype)
        for weights in (None, w):
            one = function(x, second, reduction=reduction, return_grad=True, num_threads=1, weights=weights)
            two = function(x, second, reduction=reduction, return_grad=True, num_threads=2, weights=weights)
            assert same_bits(one, two), function.__name__


# ---- Types, the two backends, the plain path ---------------------------------------------------

def test_results_have_the_logits_type(dtype):
    x = array([[0.5, -2.0, 3.0], [1.0, 0.0, -1.0]], dtype)
    t = array([[1, 0, 0], [0, 1, 0]], dtype)
    y = np.array([0, 1])
    for function, second in ((focalloss.sigmoid_focal_loss, t), (focalloss.sigmoid_focal_loss_from_labels, y),
                             (focalloss.softmax_focal_loss, y)):
        for reduction in ("sum", "mean"):
            loss, grad = function(x, second, reduction=reduction, return_grad=True)
            assert type(loss) is dtype.type and grad.dtype == dtype and grad.shape == x.shape
        loss = function(x, second, reduction="none")
        assert isinstance(loss, np.ndarray) and loss.dtype == dtype
    # Non-contiguous arrays are copied to contiguous ones of the same type.
    wide = array(np.arange(12).reshape(2, 6) / 4.0, dtype)
    loss = focalloss.sigmoid_focal_loss(wide[:, ::2], t, reduction="sum")
    assert same_bits(loss, focalloss.sigmoid_focal_loss(np.ascontiguousarray(wide[:, ::2]), t, reduction="sum"))


def mixed_cases(dtype):
    """Calls mixing the type with another: each a TypeError naming both."""
    others = [np.dtype(np.float32), np.dtype(np.float64)] + [d for d in (F16, BF16) if d is not None and d != dtype]
    x = array([[0.5, -1.0], [2.0, 0.0]], dtype)
    y = np.array([0, 1])
    for other in others:
        wrong = array([[1, 0], [0, 1]], other)
        yield (focalloss.sigmoid_focal_loss, (x, wrong), {}, "targets must have the logits' dtype %s, got %s"
               % (dtype, other))
        yield (focalloss.sigmoid_focal_loss, (wrong, array([[1, 0], [0, 1]], dtype)), {},
               "targets must have the logits' dtype %s, got %s" % (other, dtype))
        for function, second, shape in ((focalloss.sigmoid_focal_loss, array([[1, 0], [0, 1]], dtype), (2, 2)),
                                        (focalloss.sigmoid_focal_loss_from_labels, y, (2,)),
                                        (focalloss.softmax_focal_loss, y, (2,))):
            yield (function, (x, second), {"weights": np.ones(shape, other)},
                   "weights must have the logits' dtype %s, got %s" % (dtype, other))


def test_mixed_types_are_type_errors(dtype):
    for function, args, kwargs, message in mixed_cases(dtype):
        with pytest.raises(TypeError) as info:
            function(*args, **kwargs)
        assert str(info.value) == message


def test_library_errors_name_the_element(dtype):
    x = array([[0.5, -1.0], [2.0, 0.0]], dtype)
    with pytest.raises(ValueError, match=r"targets\[2\] = 1\.5 is outside \[0, 1\]"):
        focalloss.sigmoid_focal_loss(x, array([[1, 0], [1.5, 1]], dtype))
    with pytest.raises(ValueError, match=r"weights\[1\] = nan"):
        focalloss.softmax_focal_loss(x, np.array([0, 1]), weights=array([1.0, np.nan], dtype))
    with pytest.raises(ValueError, match=r"weights\[0\] = -1"):
        focalloss.sigmoid_focal_loss_from_labels(x, np.array([0, 1]), weights=array([-1.0, 1.0], dtype))


def test_other_dtypes_name_the_accepted_ones():
    for bad in (np.arange(4, dtype=np.uint16), np.arange(4, dtype=np.int16), np.zeros(4, ">f2"),
                np.zeros(4, np.complex64)):
        with pytest.raises(TypeError, match="float16, bfloat16, float32 or float64, got"):
            focalloss.sigmoid_focal_loss(bad, bad)
        with pytest.raises(TypeError, match="float16, bfloat16, float32 or float64, got"):
            focalloss.softmax_focal_loss(bad.reshape(2, 2), np.array([0, 1]))


@pytest.mark.skipif(_ext is None, reason="the extension backend is not built")
def test_both_backends_bitwise(dtype):
    rng = np.random.default_rng(17)
    for function, x, second, positions in calls(dtype, rng, (7, 3, 4)):
        w = rng.choice([0.0, 0.5, 1.0, 2.0], size=positions).astype(dtype)
        name = function.__name__
        for reduction in REDUCTIONS:
            for kwargs in ({}, {"weights": w, "return_stats": True}, {"gamma": 0.5, "alpha": None}):
                if name == "softmax_focal_loss" and "alpha" in kwargs:
                    kwargs = {"gamma": 0.5, "alpha": [1.0, 2.0, 0.5]}
                a = getattr(_frontend, name)(_ctypes_backend, x, second, reduction=reduction, return_grad=True,
                                             **kwargs)
                b = getattr(_frontend, name)(_ext, x, second, reduction=reduction, return_grad=True, **kwargs)
                assert same_bits(a, b), (name, reduction, kwargs)


@pytest.mark.skipif(_ext is None, reason="the extension backend is not built")
def test_plain_path(dtype):
    """float16 takes the extension's plain path, with the front end's result bit for bit;
    bfloat16 has no buffer to take, and a uint16 array is not bfloat16: both NotImplemented."""
    x = array([[0.5, -2.0, 3.0], [1.0, 0.0, -1.0]], dtype)
    t = array([[1, 0, 0], [0, 1, 0]], dtype)
    y = np.array([0, 2])
    for reduction in REDUCTIONS:
        sigmoid = _ext.sigmoid_plain(x, t, 0.25, 2.0, reduction, None, True, None, "exact")
        softmax = _ext.softmax_plain(x, y, None, 2.0, reduction, -100, 0.0, None, True, None, "exact")
        if dtype == F16:
            assert same_bits(sigmoid, _frontend.sigmoid_focal_loss(_ext, x, t, reduction=reduction, return_grad=True))
            assert same_bits(softmax, _frontend.softmax_focal_loss(_ext, x, y, reduction=reduction, return_grad=True))
            if reduction != "none":
                assert type(sigmoid[0]) is np.float16 and type(softmax[0]) is np.float16
        else:
            assert sigmoid is NotImplemented and softmax is NotImplemented
    bits = x.view(np.uint16)
    assert _ext.sigmoid_plain(bits, t.view(np.uint16), 0.25, 2.0, "sum", None, False, None, "exact") is NotImplemented
    assert _ext.softmax_plain(bits, y, None, 2.0, "sum", -100, 0.0, None, False, None, "exact") is NotImplemented


def test_package_needs_no_ml_dtypes():
    """Importing focalloss does not import ml_dtypes, and without ml_dtypes float16 works."""
    code = ("import sys\n"
            "sys.modules['ml_dtypes'] = None  # import ml_dtypes now fails\n"
            "import numpy as np, focalloss\n"
            "x = np.array([0.5, -3.0], np.float16)\n"
            "loss = focalloss.sigmoid_focal_loss(x, np.array([1, 0], np.float16), reduction='sum')\n"
            "assert type(loss) is np.float16, type(loss)\n"
            "print(focalloss.backend)\n")
    check = "import sys, focalloss\nassert 'ml_dtypes' not in sys.modules\nprint(focalloss.backend)\n"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(focalloss.__file__))))
    for source in (code, check):
        out = subprocess.run([sys.executable, "-c", source], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == focalloss.backend
