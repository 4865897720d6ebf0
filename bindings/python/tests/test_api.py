"""The public API against the float64 numpy reference, finite differences and the contract."""

import os
import re

import numpy as np
import pytest

import focalloss
import reference
from checks import assert_grad_close, assert_loss_close

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DTYPES = [np.float32, np.float64]
GAMMAS = [0.0, 0.5, 1.0, 2.0, 3.7]


def test_backend_is_live():
    wanted = os.environ.get("FOCALLOSS_BACKEND")
    assert focalloss.backend in ("ctypes", "extension")
    if wanted:
        assert focalloss.backend == wanted


def test_version_matches_header():
    header = open(os.path.join(ROOT, "include", "focalloss.h")).read()
    version = re.search(r'#define FOCAL_VERSION_STRING "([^"]+)"', header).group(1)
    assert focalloss.__version__ == version
    from focalloss import _version

    major, minor, patch = (int(v) for v in version.split("."))
    assert _version.VERSION_NUMBER == major * 10000 + minor * 100 + patch


def test_docstrings():
    for function in (focalloss.sigmoid_focal_loss, focalloss.softmax_focal_loss):
        doc = function.__doc__
        for word in ("Args:", "Returns:", "Raises:", "TypeError", "ValueError", "gamma", "alpha"):
            assert word in doc


def sample(dtype, shape, seed=0, soft=True):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 4, size=shape)
    x.flat[:4] = [30.0, -30.0, 1e4, -1e4][: x.size][:4] if x.size >= 4 else x.flat[:4]
    t = rng.uniform(0, 1, size=shape) if soft else (rng.uniform(size=shape) < 0.3).astype(np.float64)
    if soft:
        t.flat[::3] = np.round(t.flat[::3])
    return x.astype(dtype), t.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", [0.25, None, -1, 0.9])
def test_sigmoid_matches_reference(dtype, gamma, alpha):
    x, t = sample(dtype, (7, 5), seed=int(gamma * 10))
    loss, grad = focalloss.sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma, return_grad=True)
    assert loss.dtype == dtype and loss.shape == x.shape and grad.dtype == dtype and grad.shape == x.shape
    ref_loss, ref_grad, scale = reference.sigmoid(x, t, alpha, gamma)
    assert_loss_close(loss, ref_loss, dtype)
    assert_grad_close(grad, ref_grad, scale, dtype)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_sigmoid_reductions(dtype, reduction):
    x, t = sample(dtype, (4, 6), seed=3)
    loss, grad = focalloss.sigmoid_focal_loss(x, t, reduction=reduction, return_grad=True)
    assert isinstance(loss, np.generic) and loss.dtype == dtype
    ref_loss, ref_grad, scale = reference.sigmoid(x, t, 0.25, 2.0)
    divisor = x.size if reduction == "mean" else 1
    assert_loss_close(loss, reference.reduce(ref_loss, reduction, x.size), dtype)
    assert_grad_close(grad, ref_grad / divisor, scale / divisor, dtype)
    normalized = focalloss.sigmoid_focal_loss(x, t, reduction="mean", normalizer=2.5)
    assert_loss_close(normalized, ref_loss.sum() / 2.5, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target_dtype", [np.int64, np.int32])
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
def test_softmax_matches_reference(dtype, target_dtype, gamma, smoothing):
    rng = np.random.default_rng(5)
    x = (rng.normal(0, 5, size=(4, 6, 3, 2))).astype(dtype)
    x[0, :, 0, 0] = [1e4, -1e4, 0, 3, -3, 1e4]
    y = rng.integers(0, 6, size=(4, 3, 2)).astype(target_dtype)
    y[1, 2, 1] = -100
    alpha = [0.5, 2.0, 1.0, 0.0, 1.5, 0.25]
    for weights in (None, alpha):
        loss, grad = focalloss.softmax_focal_loss(x, y, alpha=weights, gamma=gamma, reduction="none",
                                                  label_smoothing=smoothing, return_grad=True)
        assert loss.shape == y.shape and loss.dtype == dtype and grad.shape == x.shape and grad.dtype == dtype
        ref_loss, ref_grad, scale = reference.softmax(x, y, weights, gamma, -100, smoothing)
        assert_loss_close(loss, ref_loss, dtype)
        assert_grad_close(grad, ref_grad, scale, dtype)
        mean = focalloss.softmax_focal_loss(x, y, alpha=weights, gamma=gamma, label_smoothing=smoothing)
        counted = y != -100
        divisor = counted.sum() if weights is None else np.asarray(weights)[y[counted]].sum()
        assert_loss_close(mean, ref_loss.sum() / divisor, dtype)


def test_softmax_two_dimensional_and_defaults():
    x = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]])
    y = np.array([0, 2])
    loss = focalloss.softmax_focal_loss(x, y)  # gamma 2, mean, no weights
    ref_loss, _, _ = reference.softmax(x, y, None, 2.0, -100, 0.0)
    assert_loss_close(loss, ref_loss.mean(), np.float64)
    assert isinstance(loss, np.float64)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.7])
def test_gradients_match_finite_differences(gamma):
    rng = np.random.default_rng(11)
    x = rng.normal(0, 3, size=(3, 4))
    t = rng.uniform(0, 1, size=(3, 4))
    _, grad = focalloss.sigmoid_focal_loss(x, t, gamma=gamma, reduction="sum", return_grad=True)
    xs = rng.normal(0, 3, size=(3, 4, 2))
    ys = np.array([[0, 3], [2, -100], [1, 1]])
    w = [0.3, 1.2, 1.0, 0.6]
    _, sgrad = focalloss.softmax_focal_loss(xs, ys, alpha=w, gamma=gamma, label_smoothing=0.1, return_grad=True)
    for array, analytic, f in (
        (x, grad, lambda v: focalloss.sigmoid_focal_loss(v, t, gamma=gamma, reduction="sum")),
        (xs, sgrad, lambda v: focalloss.softmax_focal_loss(v, ys, alpha=w, gamma=gamma, label_smoothing=0.1)),
    ):
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += 1e-6
            minus[index] -= 1e-6
            numeric = (f(plus) - f(minus)) / 2e-6
            assert abs(numeric - analytic[index]) <= 1e-6 * max(1.0, abs(numeric)), (index, numeric, analytic[index])


def test_non_contiguous_inputs():
    x, t = sample(np.float32, (6, 8), seed=4)
    a = focalloss.sigmoid_focal_loss(x[:, ::2], t[:, ::2], return_grad=True)
    b = focalloss.sigmoid_focal_loss(np.ascontiguousarray(x[:, ::2]), np.ascontiguousarray(t[:, ::2]), return_grad=True)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    xs = np.random.default_rng(1).normal(size=(5, 4, 3)).transpose(2, 1, 0)  # (3, 4, 5), Fortran order
    ys = np.array([[0, 1, 2, 3, 0], [1, 1, 1, 1, 1], [3, 2, 1, 0, -100]])
    c = focalloss.softmax_focal_loss(xs, ys, reduction="none", return_grad=True)
    d = focalloss.softmax_focal_loss(np.ascontiguousarray(xs), ys, reduction="none", return_grad=True)
    assert np.array_equal(c[0], d[0]) and np.array_equal(c[1], d[1])
    assert not xs.flags.c_contiguous  # the inputs are left as they were


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_arrays(dtype):
    x = np.zeros((0, 3), dtype=dtype)
    loss, grad = focalloss.sigmoid_focal_loss(x, x, return_grad=True)
    assert loss.shape == (0, 3) and grad.shape == (0, 3) and loss.dtype == dtype
    assert focalloss.sigmoid_focal_loss(x, x, reduction="sum") == 0
    assert np.isnan(focalloss.sigmoid_focal_loss(x, x, reduction="mean"))
    xs = np.zeros((0, 4, 2), dtype=dtype)
    ys = np.zeros((0, 2), dtype=np.int64)
    loss, grad = focalloss.softmax_focal_loss(xs, ys, reduction="none", return_grad=True)
    assert loss.shape == (0, 2) and grad.shape == (0, 4, 2)
    assert np.isnan(focalloss.softmax_focal_loss(xs, ys))


def test_all_ignored_and_nan():
    x = np.array([[1.0, 2.0], [3.0, np.nan]])
    y = np.array([-100, -100])
    loss, grad = focalloss.softmax_focal_loss(x, y, return_grad=True)
    assert np.isnan(loss) and np.all(grad == 0)
    loss = focalloss.softmax_focal_loss(x, np.array([0, 1]), reduction="none")
    assert np.isfinite(loss[0]) and np.isnan(loss[1])


def test_threads_do_not_change_results():
    x, t = sample(np.float32, (300, 700), seed=9, soft=False)
    one = focalloss.sigmoid_focal_loss(x, t, reduction="sum", return_grad=True, num_threads=1)
    for threads in (None, 0, 2, 5):
        many = focalloss.sigmoid_focal_loss(x, t, reduction="sum", return_grad=True, num_threads=threads)
        assert one[0].tobytes() == many[0].tobytes() and one[1].tobytes() == many[1].tobytes()


def test_arrays_are_not_modified():
    x, t = sample(np.float64, (5, 5), seed=2)
    x0, t0 = x.copy(), t.copy()
    focalloss.sigmoid_focal_loss(x, t, return_grad=True)
    assert np.array_equal(x, x0) and np.array_equal(t, t0)
