"""weights= and return_stats= of the three functions, on this backend.

Against the float64 reference (reference.py) with the weights applied from their definition:
element j's (sigmoid) or position (n, i)'s (softmax) loss and gradient are w times the unweighted
ones, and the means divide by

    sigmoid_focal_loss              the element count
    sigmoid_focal_loss_from_labels  the kept elements' count (positions not ignored times C)
    softmax_focal_loss              the sum of w * alpha[y] over the positions not ignored

or by the normalizer. Bit for bit: no weights (None, or all ones) gives the unweighted call's
results, per-position weights those of the same weights broadcast over the classes, every thread
count the same results; a weight of 0 gives loss 0 and gradient 0 whatever the logit.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import focalloss
import reference
from checks import assert_grad_close, assert_loss_close
from focalloss import _ctypes_backend, _frontend

try:
    from focalloss import _ext
except ImportError:  # pragma: no cover - the Makefile always builds it
    _ext = None

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["none", "sum", "mean"]
PRECISIONS = ["exact", "fast"]
FAST_ULPS = 16  # the fast tier's bound for gamma <= 5 (docs/accuracy.md)


# ---- Helpers -----------------------------------------------------------------------------------

def same_bits(a, b):
    """Results equal bit for bit: arrays and numpy scalars by dtype, shape and bytes, FocalStats by
    value (Python floats: == is bitwise here, NaN aside), tuples element by element."""
    if isinstance(a, focalloss.FocalStats):
        return isinstance(b, focalloss.FocalStats) and all(
            x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(same_bits(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def per_position_shape(shape):
    return shape[:1] + shape[2:]


def broadcast(w, shape):
    """Per-position weights (N, d1, ...) as the per-element weights they stand for."""
    return np.broadcast_to(np.expand_dims(w, 1), shape)


def weights_for(rng, shape, dtype, zeros=0.15):
    """Weights in [0, 3), some exactly 0 and some exactly 1."""
    w = rng.uniform(0, 3, size=shape)
    w[rng.random(shape) < zeros] = 0.0
    w[rng.random(shape) < 0.1] = 1.0
    return w.astype(dtype)


def logits_for(rng, shape, dtype, scale=4.0):
    x = rng.normal(0, scale, size=shape)
    x.flat[:4] = [30.0, -30.0, 1e3, -1e3][: min(4, x.size)]
    return x.astype(dtype)


def check_stats(stats, positives, weight_sum, divisor):
    assert isinstance(stats, focalloss.FocalStats) and isinstance(stats, tuple)
    assert stats._fields == ("positives", "weight_sum", "divisor")
    assert all(type(v) is float for v in stats)
    assert stats.positives == pytest.approx(positives, rel=1e-12, abs=0)
    assert stats.weight_sum == pytest.approx(weight_sum, rel=1e-12, abs=0)
    assert stats.divisor == pytest.approx(divisor, rel=1e-12, abs=0)


def check_against(loss, grad, expected, dtype, precision):
    """(loss, grad) against the reference's (loss, grad, scale)."""
    ref_loss, ref_grad, scale = expected
    ulps = FAST_ULPS if precision == "fast" else 2
    assert np.asarray(loss).dtype == dtype and grad.dtype == dtype
    assert_loss_close(loss, ref_loss, dtype, ulps)
    assert_grad_close(grad, ref_grad, scale, dtype, ulps)


# ---- The references: the unweighted float64 references, weighted from the definitions ----------

def divisor_of(reduction, normalizer, mean_divisor):
    if reduction != "mean":
        return 1.0
    return float(normalizer) if normalizer is not None else float(mean_divisor)


def reduced(loss, grad, scale, reduction, divisor):
    """The reduced loss, and the gradient and its scale divided by the divisor (NaN for an
    undefined mean, as the library's)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return reference.reduce(loss, reduction, divisor), grad / divisor, scale / divisor


def weighted(values, w):
    """w * values, with 0 where w is 0 (the reference's values are finite here; this keeps an
    ignored element's 0 from meeting a NaN weight)."""
    return np.where(w == 0, 0.0, w * values)


def sigmoid_reference(x, t, w, alpha, gamma, reduction, normalizer=None):
    """((loss, grad, scale), (positives, weight_sum, divisor)); w per element, or None."""
    loss, grad, scale = reference.sigmoid(x, t, alpha, gamma)
    w = np.ones(x.shape) if w is None else np.asarray(w, dtype=np.float64)
    loss, grad, scale = weighted(loss, w), weighted(grad, w), weighted(scale, w)
    divisor = divisor_of(reduction, normalizer, x.size)
    stats = (np.sum(t, dtype=np.float64), w.sum(), divisor)
    return reduced(loss, grad, scale, reduction, divisor), stats


def labels_reference(x, labels, w, alpha, gamma, reduction, ignore_index=-100, normalizer=None):
    """As sigmoid_reference, for integer labels; w per element, or None."""
    classes = x.shape[1]
    y = np.expand_dims(labels, 1)
    onehot = (np.arange(classes).reshape((1, classes) + (1,) * (x.ndim - 2)) == y).astype(np.float64)
    kept = np.broadcast_to(y != ignore_index, x.shape)
    loss, grad, scale = reference.sigmoid(x, onehot, alpha, gamma)
    w = np.ones(x.shape) if w is None else np.asarray(w, dtype=np.float64)
    w = np.where(kept, w, 0.0)
    loss, grad, scale = weighted(loss, w), weighted(grad, w), weighted(scale, w)
    divisor = divisor_of(reduction, normalizer, kept.sum())
    positives = np.sum((labels != ignore_index) & (labels >= 0) & (labels < classes))
    stats = (float(positives), w.sum(), divisor)
    return reduced(loss, grad, scale, reduction, divisor), stats


def softmax_reference(x, y, w, alpha, gamma, reduction, ignore_index=-100, smoothing=0.0, normalizer=None):
    """As sigmoid_reference, for the softmax; w per position, or None."""
    loss, grad, scale = reference.softmax(x, y, alpha, gamma, ignore_index, smoothing)
    counted = y != ignore_index
    w = np.ones(y.shape) if w is None else np.asarray(w, dtype=np.float64)
    w = np.where(counted, w, 0.0)
    a = np.ones(x.shape[1]) if alpha is None else np.asarray(alpha, dtype=np.float64)
    alpha_y = np.where(counted, a[np.where(counted, y, 0)], 0.0)
    wide = np.expand_dims(w, 1)
    loss, grad, scale = weighted(loss, w), weighted(grad, wide), weighted(scale, wide)
    positives = np.sum(w * alpha_y)
    divisor = divisor_of(reduction, normalizer, positives)
    stats = (positives, w.sum(), divisor)
    return reduced(loss, grad, scale, reduction, divisor), stats


# ---- The problems -----------------------------------------------------------------------------

SHAPE = (4, 5, 3)   # (N, C, inner)


def sigmoid_problem(dtype, seed, shape=SHAPE, hard=False):
    rng = np.random.default_rng(seed)
    x = logits_for(rng, shape, dtype)
    t = (rng.random(shape) < 0.3).astype(np.float64)
    if not hard:  # a third of the targets soft
        soft = rng.random(shape) < 0.33
        t[soft] = rng.uniform(0, 1, size=shape)[soft]
    return x, t.astype(dtype), rng


def labels_problem(dtype, label_dtype, seed, shape=SHAPE, ignore_index=-100):
    rng = np.random.default_rng(seed)
    x = logits_for(rng, shape, dtype)
    labels = rng.integers(0, shape[1] + 1, size=per_position_shape(shape))  # C is background
    labels[rng.random(labels.shape) < 0.2] = ignore_index
    return x, labels.astype(label_dtype), rng


def softmax_problem(dtype, target_dtype, seed, shape=SHAPE, ignore_index=-100):
    rng = np.random.default_rng(seed)
    x = logits_for(rng, shape, dtype)
    y = rng.integers(0, shape[1], size=per_position_shape(shape))
    y[rng.random(y.shape) < 0.2] = ignore_index
    return x, y.astype(target_dtype), rng


# ---- Against the reference: every reduction, both dtypes and tiers, both layouts ---------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction, normalizer", [("none", None), ("sum", None), ("mean", None), ("mean", 2.5)])
@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("layout", ["element", "position"])
def test_sigmoid_matches_reference(dtype, reduction, normalizer, precision, layout):
    x, t, rng = sigmoid_problem(dtype, seed=1, hard=precision == "fast")
    w = weights_for(rng, x.shape if layout == "element" else per_position_shape(x.shape), dtype)
    w_elem = w if layout == "element" else broadcast(w, x.shape)
    for alpha, gamma in ((0.25, 2.0), (None, 0.5), (0.75, 0.0), (0.25, 3.7)):
        loss, grad, stats = focalloss.sigmoid_focal_loss(x, t, alpha, gamma, reduction, normalizer=normalizer,
                                                         return_grad=True, precision=precision, weights=w,
                                                         return_stats=True)
        expected, expected_stats = sigmoid_reference(x, t, w_elem, alpha, gamma, reduction, normalizer)
        assert np.shape(loss) == (x.shape if reduction == "none" else ())
        check_against(loss, grad, expected, dtype, precision)
        check_stats(stats, *expected_stats)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("layout", ["element", "position"])
def test_labels_match_reference(dtype, label_dtype, reduction, precision, layout):
    x, labels, rng = labels_problem(dtype, label_dtype, seed=2)
    w = weights_for(rng, x.shape if layout == "element" else labels.shape, dtype)
    w_elem = w if layout == "element" else broadcast(w, x.shape)
    for alpha, gamma, normalizer in ((0.25, 2.0, None), (None, 0.5, None), (0.25, 3.7, 7.0)):
        if normalizer is not None and reduction != "mean":
            continue
        loss, grad, stats = focalloss.sigmoid_focal_loss_from_labels(
            x, labels, alpha, gamma, reduction, normalizer=normalizer, return_grad=True, precision=precision,
            weights=w, return_stats=True)
        expected, expected_stats = labels_reference(x, labels, w_elem, alpha, gamma, reduction, normalizer=normalizer)
        check_against(loss, grad, expected, dtype, precision)
        check_stats(stats, *expected_stats)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("precision", PRECISIONS)
def test_softmax_matches_reference(dtype, target_dtype, reduction, precision):
    x, y, rng = softmax_problem(dtype, target_dtype, seed=3)
    w = weights_for(rng, y.shape, dtype)
    cases = [(None, 2.0, 0.0, None), ([0.5, 2.0, 1.0, 0.0, 1.5], 0.5, 0.0, None), (None, 0.0, 0.0, None),
             ([0.5, 2.0, 1.0, 0.25, 1.5], 3.7, 0.1, None), (None, 2.0, 0.0, 3.0)]
    for alpha, gamma, smoothing, normalizer in cases:
        if normalizer is not None and reduction != "mean":
            continue
        loss, grad, stats = focalloss.softmax_focal_loss(x, y, alpha, gamma, reduction, label_smoothing=smoothing,
                                                         normalizer=normalizer, return_grad=True,
                                                         precision=precision, weights=w, return_stats=True)
        expected, expected_stats = softmax_reference(x, y, w, alpha, gamma, reduction, smoothing=smoothing,
                                                     normalizer=normalizer)
        assert np.shape(loss) == (y.shape if reduction == "none" else ())
        check_against(loss, grad, expected, dtype, precision)
        check_stats(stats, *expected_stats)


def test_sigmoid_any_shape_and_two_dimensional():
    """Logits of 0 and 1 dimensions take per-element weights; (N, C) takes (N,) per position."""
    rng = np.random.default_rng(4)
    for shape in [(), (7,), (6, 3)]:
        x = rng.normal(0, 3, size=shape)
        t = np.asarray(rng.random(shape) < 0.5, dtype=np.float64)
        w = rng.uniform(0, 2, size=shape)
        loss, grad = focalloss.sigmoid_focal_loss(x, t, weights=w, return_grad=True)
        expected, _ = sigmoid_reference(x, t, w, 0.25, 2.0, "none")
        assert loss.shape == shape
        check_against(loss, grad, expected, np.float64, "exact")
    w = rng.uniform(0, 2, size=6)
    per_position = focalloss.sigmoid_focal_loss(x, t, reduction="mean", weights=w, return_grad=True)
    per_element = focalloss.sigmoid_focal_loss(x, t, reduction="mean", weights=broadcast(w, x.shape).copy(),
                                               return_grad=True)
    assert same_bits(per_position, per_element)


# ---- Bit for bit ------------------------------------------------------------------------------

CALLS = ["sigmoid", "labels", "softmax"]


def call(kind, dtype, precision="exact", seed=5, shape=SHAPE, index_dtype=np.int64):
    """(the public function, logits, its targets or labels, the generator that made them)."""
    if kind == "sigmoid":
        x, t, rng = sigmoid_problem(dtype, seed, shape, hard=precision == "fast")
        return focalloss.sigmoid_focal_loss, x, t, rng
    if kind == "labels":
        x, labels, rng = labels_problem(dtype, index_dtype, seed, shape)
        return focalloss.sigmoid_focal_loss_from_labels, x, labels, rng
    x, y, rng = softmax_problem(dtype, index_dtype, seed, shape)
    return focalloss.softmax_focal_loss, x, y, rng


@pytest.mark.parametrize("kind", CALLS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("precision", PRECISIONS)
def test_no_weights_and_ones_are_the_unweighted_call(kind, dtype, reduction, precision):
    function, x, second, _ = call(kind, dtype, precision)
    kwargs = dict(reduction=reduction, precision=precision, return_grad=True)
    plain = function(x, second, **kwargs)
    loss, grad, stats = function(x, second, weights=None, return_stats=True, **kwargs)
    assert same_bits((loss, grad), plain)
    shapes = [x.shape, per_position_shape(x.shape)] if kind != "softmax" else [second.shape]
    for shape in shapes:
        ones = np.ones(shape, dtype)
        assert same_bits(function(x, second, weights=ones, **kwargs), plain)
        assert same_bits(function(x, second, weights=ones, return_stats=True, **kwargs), plain + (stats,))
    # Without the gradient, too (a different path through the library).
    assert same_bits(function(x, second, reduction=reduction, precision=precision, weights=np.ones(shapes[-1], dtype)),
                     function(x, second, reduction=reduction, precision=precision))


@pytest.mark.parametrize("kind", ["sigmoid", "labels"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4), (2, 3, 2, 3)])
def test_per_position_is_per_element_broadcast(kind, dtype, reduction, precision, shape):
    function, x, second, rng = call(kind, dtype, precision, seed=6, shape=shape)
    w = weights_for(rng, per_position_shape(shape), dtype)
    kwargs = dict(reduction=reduction, precision=precision, return_grad=True, return_stats=True)
    a = function(x, second, weights=w, **kwargs)
    b = function(x, second, weights=broadcast(w, shape).copy(), **kwargs)
    assert same_bits(a[:2], b[:2])
    assert a[2].positives == b[2].positives and a[2].divisor == b[2].divisor
    # The weights' sum is the same sum in another order (the library adds a position's weight once
    # per class, or each element's): equal up to its rounding, not always to the last bit.
    assert a[2].weight_sum == pytest.approx(b[2].weight_sum, rel=1e-14, abs=0)


@pytest.mark.parametrize("kind", CALLS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("precision", PRECISIONS)
def test_zero_weight_gives_zero_whatever_the_logit(kind, dtype, precision):
    function, clean, second, rng = call(kind, dtype, precision, seed=7, shape=(5, 4, 2))
    x = clean.copy()
    # Per position: NaN and infinite logits in positions (0, :, 0) and (3, :, 1), of weight 0.
    for n, i in ((0, 0), (3, 1)):
        x[n, :, i] = [np.nan, np.inf, -np.inf, np.nan][: x.shape[1]]
    shape = second.shape if kind == "softmax" else per_position_shape(x.shape)
    w = weights_for(rng, shape, dtype, zeros=0.0)
    w[0, 0] = w[3, 1] = 0
    if kind == "softmax":
        second = second.copy()
        second[0, 0] = second[3, 1] = 1  # not ignored: the weight alone leaves them out
    for reduction in REDUCTIONS:
        loss, grad = function(x, second, reduction=reduction, precision=precision, weights=w, return_grad=True)
        zero = np.zeros(x.shape[1], dtype)
        assert same_bits(grad[0, :, 0], zero) and same_bits(grad[3, :, 1], zero)
        assert np.isfinite(grad).all()
        assert np.isfinite(loss).all()
        if reduction == "none":
            if kind == "softmax":
                assert loss[0, 0] == 0 and loss[3, 1] == 0
            else:
                assert same_bits(loss[0, :, 0], zero) and same_bits(loss[3, :, 1], zero)
    if kind != "softmax":  # per element: zero weights exactly at the poisoned logits
        x = clean.copy()
        w = weights_for(rng, x.shape, dtype, zeros=0.0)
        x.flat[::7] = np.nan
        x.flat[3::7] = np.inf
        x.flat[5::7] = -np.inf
        w.flat[::7] = w.flat[3::7] = w.flat[5::7] = 0
        loss, grad = function(x, second, reduction="none", precision=precision, weights=w, return_grad=True)
        assert np.isfinite(loss).all() and np.isfinite(grad).all()
        for start in (0, 3, 5):
            assert not loss.flat[start::7].any() and not grad.flat[start::7].any()
        total = function(x, second, reduction="sum", precision=precision, weights=w)
        assert np.isfinite(total)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_softmax_zero_weight_is_ignore_index(dtype, reduction):
    """A weight of 0 leaves its position out as ignore_index does, bit for bit (divisor included)."""
    x, y, rng = softmax_problem(dtype, np.int64, seed=8, shape=(6, 5, 4))
    w = np.ones(y.shape, dtype)
    w[rng.random(y.shape) < 0.3] = 0
    ignored = y.copy()
    ignored[w == 0] = -100
    for alpha in (None, [0.5, 2.0, 1.0, 0.25, 1.5]):
        a = focalloss.softmax_focal_loss(x, y, alpha, reduction=reduction, weights=w, return_grad=True)
        b = focalloss.softmax_focal_loss(x, ignored, alpha, reduction=reduction, return_grad=True)
        assert same_bits(a, b)


@pytest.mark.parametrize("kind", CALLS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("precision", PRECISIONS)
def test_threads_do_not_change_results(kind, reduction, precision):
    # >= 100k logits: several chunks of the library's parallel split.
    shape = {"sigmoid": (400, 80, 4), "labels": (300, 80, 5), "softmax": (2000, 10, 8)}[kind]
    function, x, second, rng = call(kind, np.float32, precision, seed=9, shape=shape)
    layouts = [x.shape, per_position_shape(x.shape)] if kind != "softmax" else [second.shape]
    for weights_shape in layouts:
        w = weights_for(rng, weights_shape, np.float32)
        runs = [function(x, second, reduction=reduction, precision=precision, return_grad=True, weights=w,
                         return_stats=True, num_threads=k) for k in (1, 2, 3, 0)]
        for other in runs[1:]:
            assert same_bits(runs[0], other)


@pytest.mark.parametrize("kind", CALLS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_non_contiguous_weights(kind, dtype):
    function, x, second, rng = call(kind, dtype, seed=10, shape=(6, 4, 3))
    shapes = [x.shape, per_position_shape(x.shape)] if kind != "softmax" else [second.shape]
    for shape in shapes:
        wide = weights_for(rng, shape[:-1] + (2 * shape[-1],), dtype)
        w = wide[..., ::2]                       # strided
        f = np.asfortranarray(w)                 # Fortran order
        assert not w.flags.c_contiguous and not f.flags.c_contiguous
        before = w.copy()
        expected = function(x, second, reduction="sum", return_grad=True, weights=np.ascontiguousarray(w),
                            return_stats=True)
        assert same_bits(function(x, second, reduction="sum", return_grad=True, weights=w, return_stats=True),
                         expected)
        assert same_bits(function(x, second, reduction="sum", return_grad=True, weights=f, return_stats=True),
                         expected)
        assert same_bits(w, before)  # the weights are left as they were


# ---- Statistics ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_stats_without_weights_are_counts(dtype):
    x, t, _ = sigmoid_problem(dtype, seed=11, hard=True)
    for reduction, divisor in (("none", 1.0), ("sum", 1.0), ("mean", float(x.size))):
        _, stats = focalloss.sigmoid_focal_loss(x, t, reduction=reduction, return_stats=True)
        assert stats == (float(t.sum(dtype=np.float64)), float(x.size), divisor)
    _, stats = focalloss.sigmoid_focal_loss(x, t, reduction="mean", normalizer=3, return_stats=True)
    assert stats.divisor == 3.0
    x, labels, _ = labels_problem(dtype, np.int64, seed=11)
    kept = int((labels != -100).sum()) * x.shape[1]
    positives = int(((labels >= 0) & (labels < x.shape[1])).sum())
    _, stats = focalloss.sigmoid_focal_loss_from_labels(x, labels, reduction="mean", return_stats=True)
    assert stats == (float(positives), float(kept), float(kept))
    x, y, _ = softmax_problem(dtype, np.int32, seed=11)
    counted = float((y != -100).sum())
    _, stats = focalloss.softmax_focal_loss(x, y, return_stats=True)
    assert stats == (counted, counted, counted)
    _, stats = focalloss.softmax_focal_loss(x, y, reduction="sum", return_stats=True)
    assert stats == (counted, counted, 1.0)


def test_stats_examples():
    # Sigmoid: positives are the targets' sum (soft ones included), unweighted.
    x = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -3.0]])
    t = np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.0]])
    w = np.array([2.0, 0.5])  # per position: counts once per class
    _, stats = focalloss.sigmoid_focal_loss(x, t, reduction="mean", weights=w, return_stats=True)
    assert stats == (1.5, 7.5, 6.0)
    # Labels: class 1 positive, background (3), ignored; weights of the ignored row not counted.
    labels = np.array([1, 3, -100])
    x3 = np.vstack([x, [[4.0, 4.0, 4.0]]])
    _, stats = focalloss.sigmoid_focal_loss_from_labels(x3, labels, reduction="mean", weights=np.array([2.0, 0.5, 9.0]),
                                                        return_stats=True)
    assert stats == (1.0, 7.5, 6.0)
    # Softmax: positives = sum of w * alpha[y] over the non-ignored, also the mean's divisor.
    y = np.array([0, 2, -100])
    _, stats = focalloss.softmax_focal_loss(x3, y, alpha=[0.5, 1.0, 2.0], weights=np.array([2.0, 0.25, 9.0]),
                                            return_stats=True)
    assert stats == (1.5, 2.25, 1.5)
    _, stats = focalloss.softmax_focal_loss(x3, y, alpha=[0.5, 1.0, 2.0], weights=np.array([2.0, 0.25, 9.0]),
                                            normalizer=4, return_stats=True)
    assert stats == (1.5, 2.25, 4.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_undefined_mean(dtype):
    """Empty input, every position ignored, or zero total weight: NaN loss, divisor 0."""
    x = np.zeros((0, 3), dtype)
    loss, grad, stats = focalloss.sigmoid_focal_loss(x, x, reduction="mean", weights=np.zeros(0, dtype),
                                                     return_grad=True, return_stats=True)
    assert np.isnan(loss) and grad.shape == (0, 3) and stats == (0.0, 0.0, 0.0)
    x = np.ones((2, 3), dtype)
    loss, stats = focalloss.sigmoid_focal_loss_from_labels(x, np.array([-100, -100]), reduction="mean",
                                                           weights=np.ones(2, dtype), return_stats=True)
    assert np.isnan(loss) and stats == (0.0, 0.0, 0.0)
    loss, grad, stats = focalloss.softmax_focal_loss(x, np.array([0, 2]), weights=np.zeros(2, dtype),
                                                     return_grad=True, return_stats=True)
    assert np.isnan(loss) and stats == (0.0, 0.0, 0.0)
    assert not grad.any()  # both positions left out by their weight: 0, as ignored ones


@pytest.mark.parametrize("kind, layout", [("labels", "element"), ("labels", "position"), ("softmax", "position")])
def test_ignored_positions_weights_are_not_read(kind, layout):
    function, x, second, rng = call(kind, np.float64, seed=12, shape=(6, 4, 3))
    ignored = second == -100
    assert ignored.any()
    shape = x.shape if layout == "element" else second.shape
    w = weights_for(rng, shape, np.float64)
    poisoned = w.copy()
    mask = broadcast(ignored, x.shape) if layout == "element" else ignored
    poisoned[mask] = np.nan
    for reduction in REDUCTIONS:
        a = function(x, second, reduction=reduction, weights=w, return_grad=True, return_stats=True)
        b = function(x, second, reduction=reduction, weights=poisoned, return_grad=True, return_stats=True)
        assert same_bits(a, b)


# ---- The result's form --------------------------------------------------------------------------

def test_result_forms():
    x = np.array([[0.5, -1.0], [2.0, 0.0]], np.float32)
    t = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    w = np.array([1.0, 2.0], np.float32)
    loss = focalloss.sigmoid_focal_loss(x, t, weights=w)
    assert isinstance(loss, np.ndarray) and loss.shape == (2, 2) and loss.dtype == np.float32
    loss, stats = focalloss.sigmoid_focal_loss(x, t, reduction="sum", return_stats=True)
    assert isinstance(loss, np.float32) and isinstance(stats, focalloss.FocalStats)
    loss, grad, stats = focalloss.sigmoid_focal_loss(x, t, reduction="mean", weights=w, return_grad=True,
                                                     return_stats=True)
    assert isinstance(loss, np.float32) and grad.shape == (2, 2) and grad.dtype == np.float32
    assert stats.divisor == 4.0 and stats == (2.0, 6.0, 4.0)
    assert "FocalStats" in focalloss.__all__ and focalloss.FocalStats is type(stats)
    assert repr(stats) == "FocalStats(positives=2.0, weight_sum=6.0, divisor=4.0)"


def test_constants_match_the_header():
    """The ctypes focal_stats and the layout values the front end passes, against the header."""
    import ctypes
    import os
    import re

    header = open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "include", "focalloss.h")).read()
    number = lambda name: int(re.search(r"\b%s\s*=?\s*(\d+)" % name, header).group(1))  # noqa: E731
    assert _ctypes_backend._STATS_VERSION == number("FOCAL_STATS_VERSION")
    assert (_frontend._PER_ELEMENT, _frontend._PER_POSITION) == (number("FOCAL_WEIGHTS_PER_ELEMENT"),
                                                                 number("FOCAL_WEIGHTS_PER_POSITION"))
    assert [name for name, _ in _ctypes_backend.FocalStats._fields_] == ["version", "positives", "weight_sum",
                                                                         "divisor"]
    assert ctypes.sizeof(_ctypes_backend.FocalStats) == 32 and _ctypes_backend.FocalStats.positives.offset == 8


def test_docstrings_mention_weights():
    for function in (focalloss.sigmoid_focal_loss, focalloss.sigmoid_focal_loss_from_labels,
                     focalloss.softmax_focal_loss):
        for word in ("weights:", "return_stats:", "FocalStats"):
            assert word in function.__doc__


@pytest.mark.skipif(_ext is None, reason="the extension backend is not built")
def test_plain_paths_decline_weights_and_stats():
    """The extension's plain paths take the public functions' arguments and leave every call with
    weights or return_stats to the front end (and the _weighted functions)."""
    x = np.array([[0.5, -1.0], [2.0, 0.0]])
    t = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1])
    w = np.ones(2)
    plain = _ext.sigmoid_plain(x, t, 0.25, 2.0, "none", None, False, None, "exact", None, False)
    assert same_bits(plain, _ext.sigmoid_plain(x, t, 0.25, 2.0, "none", None, False, None, "exact"))
    assert _ext.sigmoid_plain(x, t, 0.25, 2.0, "none", None, False, None, "exact", w, False) is NotImplemented
    assert _ext.sigmoid_plain(x, t, 0.25, 2.0, "none", None, False, None, "exact", None, True) is NotImplemented
    assert _ext.softmax_plain(x, y, None, 2.0, "mean", -100, 0.0, None, False, None, "exact", None,
                              False) is not NotImplemented
    assert _ext.softmax_plain(x, y, None, 2.0, "mean", -100, 0.0, None, False, None, "exact", w,
                              False) is NotImplemented
    assert _ext.softmax_plain(x, y, None, 2.0, "mean", -100, 0.0, None, False, None, "exact", None,
                              True) is NotImplemented
    with pytest.raises(TypeError, match="9 arguments"):
        _ext.sigmoid_plain(x, t, 0.25, 2.0, "none", None, False, None, "exact", None)


# ---- Both backends, and properties ------------------------------------------------------------

def both(function, *args, **kwargs):
    outcomes = []
    for backend in (_ctypes_backend, _ext):
        try:
            outcomes.append(getattr(_frontend, function)(backend, *args, **kwargs))
        except (TypeError, ValueError) as error:
            outcomes.append((type(error), str(error)))
    return outcomes


def same_outcome(a, b):
    if isinstance(a, tuple) and len(a) == 2 and isinstance(a[0], type):
        return a == b
    return same_bits(a, b)


@pytest.mark.skipif(_ext is None, reason="the extension backend is not built")
@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(CALLS),
    dtype=st.sampled_from(DTYPES),
    index_dtype=st.sampled_from([np.int32, np.int64]),
    n=st.integers(0, 4), c=st.integers(1, 4), inner=st.lists(st.integers(1, 3), max_size=2),
    layout=st.sampled_from(["element", "position"]),
    no_weights=st.booleans(),
    bad_weight=st.sampled_from([None, None, None, -1.0, np.nan, np.inf]),
    reduction=st.sampled_from(REDUCTIONS),
    precision=st.sampled_from(PRECISIONS),
    seed=st.integers(0, 2**32 - 1),
)
def test_backends_agree(kind, dtype, index_dtype, n, c, inner, layout, no_weights, bad_weight, reduction, precision,
                        seed):
    shape = (n, c, *inner)
    function, x, second, rng = call(kind, dtype, precision, seed=seed, shape=shape, index_dtype=index_dtype)
    if kind == "softmax" or layout == "position":
        w = weights_for(rng, per_position_shape(shape), dtype)
    else:
        w = weights_for(rng, shape, dtype)
    if bad_weight is not None and w.size:
        w.flat[rng.integers(0, w.size)] = bad_weight
    name = function.__name__
    a, b = both(name, x, second, reduction=reduction, precision=precision, return_grad=True,
                weights=None if no_weights else w, return_stats=True)
    assert same_outcome(a, b)


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from(CALLS),
    dtype=st.sampled_from(DTYPES),
    n=st.integers(0, 5), c=st.integers(1, 5), inner=st.lists(st.integers(0, 3), max_size=2),
    layout=st.sampled_from(["element", "position"]),
    gamma=st.sampled_from([0.0, 0.5, 2.0, 3.7]),
    reduction=st.sampled_from(REDUCTIONS),
    seed=st.integers(0, 2**32 - 1),
)
def test_weighted_properties(kind, dtype, n, c, inner, layout, gamma, reduction, seed):
    """Any shape, either layout: the weighted reference, and the stats."""
    shape = (n, c, *inner)
    function, x, second, rng = call(kind, dtype, seed=seed, shape=shape)
    if kind == "softmax" or layout == "position":
        w = weights_for(rng, per_position_shape(shape), dtype)
        w_elem = w if kind == "softmax" else broadcast(w, shape)
    else:
        w = w_elem = weights_for(rng, shape, dtype)
    loss, grad, stats = function(x, second, gamma=gamma, reduction=reduction, return_grad=True, weights=w,
                                 return_stats=True)
    expected, expected_stats = {
        "sigmoid": lambda: sigmoid_reference(x, second, w_elem, 0.25, gamma, reduction),
        "labels": lambda: labels_reference(x, second, w_elem, 0.25, gamma, reduction),
        "softmax": lambda: softmax_reference(x, second, w_elem, None, gamma, reduction),
    }[kind]()
    if reduction == "mean" and expected_stats[2] == 0:
        assert np.isnan(loss) and stats.divisor == 0.0
        return
    check_against(loss, grad, expected, dtype, "exact")
    check_stats(stats, *expected_stats)


junk = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=3),
    st.lists(st.floats(0, 3), max_size=4),
    st.sampled_from([np.float16(1), np.bool_(True), np.array([]), np.array([[1.0]]), np.array(["a"]), object()]),
    st.builds(lambda n, d: np.ones(n, dtype=d), st.integers(0, 4),
              st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_, np.complex64])),
)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(CALLS), weights=junk, return_stats=junk)
def test_junk_weights_raise_type_or_value_error(kind, weights, return_stats):
    function, x, second, _ = call(kind, np.float64, shape=(2, 2))
    try:
        function(x, second, weights=weights, return_stats=return_stats)
    except (TypeError, ValueError):
        pass
