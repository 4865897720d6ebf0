"""The precision tiers (precision="exact" | "fast"), on this backend.

The fast tier computes float32 sigmoid elements with hard targets, and the float32 softmax's
per-element exponentials and gradients, in float32 arithmetic, within 16 ulps of the exact value
for gamma <= 5 (docs/accuracy.md; the dense sweeps are `make accuracy`); everything else (soft
targets, float64, label smoothing) it computes as the exact tier, bit for bit. Every other
guarantee holds in both: finite for every finite logit, limits at infinite logits, NaN local,
bitwise identical for every thread count.
"""
import numpy as np
import pytest

import focalloss

GAMMAS = [0.0, 0.5, 1.0, 2.0, 3.0, 3.7, 5.0]


def ulps(ours, reference):
    """|ours - reference| in float32 ulps of the reference (float64)."""
    r32 = np.abs(reference.astype(np.float32))
    spacing = np.spacing(r32).astype(np.float64)
    return np.abs(ours.astype(np.float64) - reference) / spacing


def hard_case(n=50_000, seed=3):
    rng = np.random.default_rng(seed)
    # Logits over the whole range that matters: |x| from 2^-30 to 1e4, both signs, plus 0.
    magnitude = np.exp(rng.uniform(np.log(2.0 ** -30), np.log(1e4), n))
    x = (magnitude * rng.choice([-1, 1], n)).astype(np.float32)
    x[:3] = [0, 88.7, -103.9]
    t = (rng.random(n) < 0.5).astype(np.float32)
    return x, t


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", [0.25, None])
def test_fast_tier_bound(gamma, alpha):
    x, t = hard_case()
    loss, grad = focalloss.sigmoid_focal_loss(x, t, alpha, gamma, return_grad=True, precision="fast")
    ref_loss, ref_grad = focalloss.sigmoid_focal_loss(x.astype(np.float64), t.astype(np.float64), alpha, gamma,
                                                      return_grad=True)
    assert loss.dtype == np.float32 and grad.dtype == np.float32
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    assert ulps(loss, ref_loss).max() <= 16
    assert ulps(grad, ref_grad).max() <= 16
    exact = focalloss.sigmoid_focal_loss(x, t, alpha, gamma, precision="exact")
    assert ulps(exact, ref_loss).max() <= 2


def test_fast_tier_is_float32_arithmetic():
    """Not the exact tier under another name: some results differ from it."""
    x, t = hard_case()
    fast = focalloss.sigmoid_focal_loss(x, t, precision="fast")
    exact = focalloss.sigmoid_focal_loss(x, t)
    assert not np.array_equal(fast, exact)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_fast_tier_threads_bitwise(reduction):
    x, t = hard_case(200_000, seed=4)
    one = focalloss.sigmoid_focal_loss(x, t, reduction=reduction, return_grad=True, num_threads=1, precision="fast")
    for threads in (2, 3, 0):
        other = focalloss.sigmoid_focal_loss(x, t, reduction=reduction, return_grad=True, num_threads=threads,
                                             precision="fast")
        assert np.array_equal(one[0], other[0]) and np.array_equal(one[1], other[1])


def test_fast_tier_limits_and_nan():
    x = np.array([np.inf, -np.inf, np.inf, -np.inf, np.nan, 1e30, -1e30, 0], np.float32)
    t = np.array([1, 0, 0, 1, 1, 0, 1, 1], np.float32)
    for gamma in (0.0, 0.5, 2.0, 5.0):
        fast = focalloss.sigmoid_focal_loss(x, t, 0.25, gamma, return_grad=True, precision="fast")
        exact = focalloss.sigmoid_focal_loss(x, t, 0.25, gamma, return_grad=True)
        # Limits and NaN are the same values in both tiers; the finite ones are close.
        np.testing.assert_array_equal(np.isnan(fast[0]), np.isnan(exact[0]))
        np.testing.assert_array_equal(fast[0][:4], exact[0][:4])
        assert np.isfinite(fast[1][:4]).all() and np.isnan(fast[1][4])
        np.testing.assert_allclose(fast[1][5:], exact[1][5:], rtol=1e-5)


def test_where_fast_is_exact():
    rng = np.random.default_rng(8)
    x = rng.normal(0, 4, 5000).astype(np.float32)
    soft = rng.random(5000).astype(np.float32)
    for a, b in [(focalloss.sigmoid_focal_loss(x, soft, return_grad=True, precision="fast"),
                  focalloss.sigmoid_focal_loss(x, soft, return_grad=True)),
                 (focalloss.sigmoid_focal_loss(x.astype(np.float64), (soft > 0.5).astype(np.float64),
                                               return_grad=True, precision="fast"),
                  focalloss.sigmoid_focal_loss(x.astype(np.float64), (soft > 0.5).astype(np.float64),
                                               return_grad=True))]:
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    logits = rng.normal(0, 3, (100, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 100)
    for smoothing, dtype in [(0.1, np.float32), (0.0, np.float64), (0.2, np.float64)]:
        x = logits.astype(dtype)
        a = focalloss.softmax_focal_loss(x, labels, label_smoothing=smoothing, return_grad=True, precision="fast")
        b = focalloss.softmax_focal_loss(x, labels, label_smoothing=smoothing, return_grad=True)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def softmax_case(rows, classes, inner, scale, seed):
    rng = np.random.default_rng(seed)
    shape = (rows, classes) if inner == 1 else (rows, classes, inner)
    x = (rng.normal(0, scale, shape) * rng.choice([1, 1, 1, 8], shape)).astype(np.float32)
    labels = rng.integers(0, classes, (rows,) if inner == 1 else (rows, inner))
    labels.flat[::11] = -100
    return x, labels


# Every layout: rows of few classes (transposed into tiles: in one step for C <= 8, in two for
# 9, 10, 12, 14 and 15, element by element for 11 and 13), rows of many (the row path), and
# class-major positions (inner > 1).
# The last two hold more classes than the kernel's cache of 4096 terms e^(x - M).
SOFTMAX_SHAPES = [(3000, 2, 1), (3000, 3, 1), (2000, 7, 1), (2000, 10, 1), (1500, 13, 1), (1500, 15, 1), (1000, 19, 1),
                  (500, 80, 1), (300, 5, 7), (6, 5000, 1), (2, 4200, 3)]


@pytest.mark.parametrize("shape", SOFTMAX_SHAPES)
@pytest.mark.parametrize("gamma", GAMMAS)
def test_softmax_fast_tier_bound(shape, gamma):
    rows, classes, inner = shape
    worst = 0.0
    for scale, seed in ((2, 1), (12, 2)):
        x, labels = softmax_case(rows, classes, inner, scale, seed)
        alpha = list(np.random.default_rng(seed).uniform(0.1, 2, classes)) if seed == 2 else None
        loss, grad = focalloss.softmax_focal_loss(x, labels, alpha, gamma, reduction="none", return_grad=True,
                                                  precision="fast")
        ref_loss, ref_grad = focalloss.softmax_focal_loss(x.astype(np.float64), labels, alpha, gamma,
                                                          reduction="none", return_grad=True)
        assert loss.dtype == np.float32 and grad.dtype == np.float32
        assert np.isfinite(loss).all() and np.isfinite(grad).all()
        worst = max(worst, ulps(loss, ref_loss).max(), ulps(grad, ref_grad).max())
        # The gradient of an ignored position is exactly 0 and its loss too.
        ignored = labels == -100
        assert (loss[ignored] == 0).all()
        assert (np.moveaxis(grad, 1, -1)[ignored] == 0).all()
    assert worst <= 16


def test_softmax_fast_tier_is_float32_arithmetic():
    x, labels = softmax_case(2000, 10, 1, 4, 5)
    fast = focalloss.softmax_focal_loss(x, labels, reduction="none", precision="fast")
    exact = focalloss.softmax_focal_loss(x, labels, reduction="none")
    assert not np.array_equal(fast, exact)


@pytest.mark.parametrize("shape", [(20_000, 10, 1), (4000, 80, 1), (800, 5, 64)])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_softmax_fast_tier_threads_bitwise(shape, reduction):
    x, labels = softmax_case(*shape, 4, 6)
    one = focalloss.softmax_focal_loss(x, labels, reduction=reduction, return_grad=True, num_threads=1,
                                       precision="fast")
    for threads in (2, 3, 0):
        other = focalloss.softmax_focal_loss(x, labels, reduction=reduction, return_grad=True, num_threads=threads,
                                             precision="fast")
        assert np.array_equal(one[0], other[0]) and np.array_equal(one[1], other[1])


@pytest.mark.parametrize("classes", [3, 10, 40])
def test_softmax_fast_tier_limits_and_nan(classes):
    rng = np.random.default_rng(classes)
    x = rng.normal(0, 3, (6, classes)).astype(np.float32)
    x[0, 1] = -np.inf                  # a class of probability 0
    x[1, :] = -np.inf; x[1, 2] = 5     # one finite logit: p = 1 there
    x[2, 0] = np.nan                   # poisons its own row
    x[3, 1] = np.inf                   # as does +inf
    x[4, 0] = 1e30; x[4, 2] = -1e30    # extreme finite logits
    labels = np.array([0, 2, 1, 0, 0, 1])
    for gamma in (0.0, 0.5, 2.0, 5.0):
        fast = focalloss.softmax_focal_loss(x, labels, gamma=gamma, reduction="none", return_grad=True,
                                            precision="fast")
        exact = focalloss.softmax_focal_loss(x, labels, gamma=gamma, reduction="none", return_grad=True)
        np.testing.assert_array_equal(np.isnan(fast[0]), np.isnan(exact[0]))
        np.testing.assert_array_equal(np.isnan(fast[1]), np.isnan(exact[1]))
        assert np.isnan(fast[0][2:4]).all() and np.isnan(fast[1][2:4]).all()
        good = [0, 1, 4, 5]
        assert np.isfinite(fast[0][good]).all() and np.isfinite(fast[1][good]).all()
        np.testing.assert_allclose(fast[0][good], exact[0][good], rtol=1e-5, atol=0)
        np.testing.assert_allclose(fast[1][good], exact[1][good], rtol=1e-5, atol=1e-30)
        # Where the exact values are exactly 0 (p = 1, a class of probability 0) so are these.
        np.testing.assert_array_equal(fast[1][good] == 0, exact[1][good] == 0)


@pytest.mark.parametrize("classes", [100, 1000])
def test_softmax_fast_tier_tiny_sums(classes):
    """A confident target among many classes: the loss is the sum of the others' e^(x - M), each
    below float32's normal range (e^-87) though their sum need not be; the fast tier keeps those
    terms scaled (normal down to e^-131), so the loss keeps its relative precision rather than
    collecting a subnormal rounding per class."""
    rng = np.random.default_rng(classes)
    x = rng.uniform(-1, 1, (64, classes)).astype(np.float32)
    labels = rng.integers(0, classes, 64)
    x[np.arange(64), labels] = np.linspace(80, 110, 64, dtype=np.float32)
    for gamma in (0.0, 0.5, 2.0):
        loss, grad = focalloss.softmax_focal_loss(x, labels, gamma=gamma, reduction="none", return_grad=True,
                                                  precision="fast")
        ref_loss, ref_grad = focalloss.softmax_focal_loss(x.astype(np.float64), labels, gamma=gamma,
                                                          reduction="none", return_grad=True)
        assert ulps(loss, ref_loss).max() <= 16
        assert ulps(grad, ref_grad).max() <= 16


@pytest.mark.parametrize("function", ["sigmoid", "softmax"])
def test_bad_precision(function):
    x = np.zeros((2, 3), np.float32)
    call = {
        "sigmoid": lambda p: focalloss.sigmoid_focal_loss(x, np.zeros_like(x), precision=p, return_grad=True),
        "softmax": lambda p: focalloss.softmax_focal_loss(x, np.zeros(2, np.int64), precision=p, return_grad=True),
    }[function]
    with pytest.raises(ValueError, match="precision = 'quick' is not one of 'exact', 'fast'"):
        call("quick")
    with pytest.raises(TypeError, match="precision must be a str"):
        call(1)
    with pytest.raises(TypeError, match="precision must be a str"):
        call(None)
    assert call("exact")[1].shape == x.shape
