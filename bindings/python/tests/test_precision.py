"""The precision tiers (precision="exact" | "fast"), on this backend.

The fast tier computes float32 sigmoid elements with hard targets in float32 arithmetic, within
16 ulps of the exact value for gamma <= 5 (docs/accuracy.md; the dense sweep is `make accuracy`);
everything else it computes as the exact tier, bit for bit. Every other guarantee holds in both:
finite for every finite logit, limits at infinite logits, bitwise identical for every thread count.
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
    a = focalloss.softmax_focal_loss(logits, labels, return_grad=True, precision="fast")
    b = focalloss.softmax_focal_loss(logits, labels, return_grad=True)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


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
