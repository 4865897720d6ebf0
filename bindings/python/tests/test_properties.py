"""Hypothesis property tests: any shape (0-size included), both dtypes, any gamma, alpha,
ignore_index, label smoothing and logits up to +-1e4, against the float64 reference; gradients
against finite differences on small cases."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import focalloss
import reference
from checks import assert_grad_close, assert_loss_close

logit = st.one_of(
    st.floats(-30, 30, allow_nan=False),
    st.sampled_from([0.0, 1e-8, -1e-8, 88.0, -88.0, 1e3, -1e3, 1e4, -1e4]),
)
gamma = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.7]), st.floats(0, 6, allow_nan=False))


@st.composite
def sigmoid_problem(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
    size = int(np.prod(shape, dtype=np.int64))
    x = np.array(draw(st.lists(logit, min_size=size, max_size=size)), dtype=np.float64).reshape(shape)
    target = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1, allow_nan=False))
    t = np.array(draw(st.lists(target, min_size=size, max_size=size)), dtype=np.float64).reshape(shape)
    return x, t


@settings(max_examples=150, deadline=None)
@given(problem=sigmoid_problem(), dtype=st.sampled_from([np.float32, np.float64]), g=gamma,
       alpha=st.one_of(st.none(), st.floats(0, 1, allow_nan=False)),
       reduction=st.sampled_from(["none", "sum", "mean"]))
def test_sigmoid_properties(problem, dtype, g, alpha, reduction):
    x, t = (a.astype(dtype) for a in problem)
    loss, grad = focalloss.sigmoid_focal_loss(x, t, alpha=alpha, gamma=g, reduction=reduction, return_grad=True)
    ref_loss, ref_grad, scale = reference.sigmoid(x, t, alpha, g)
    divisor = x.size if reduction == "mean" else 1
    if reduction == "none":
        assert_loss_close(loss, ref_loss, dtype)
    elif x.size:
        assert_loss_close(loss, reference.reduce(ref_loss, reduction, x.size), dtype)
    assert_grad_close(grad, ref_grad / divisor, scale / divisor, dtype)
    assert np.all(np.isfinite(grad)) and (reduction == "mean" and x.size == 0 or np.all(np.isfinite(loss)))


@st.composite
def softmax_problem(draw):
    n = draw(st.integers(0, 4))
    c = draw(st.integers(1, 5))
    inner = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    shape = (n, c) + inner
    size = int(np.prod(shape, dtype=np.int64))
    x = np.array(draw(st.lists(logit, min_size=size, max_size=size)), dtype=np.float64).reshape(shape)
    ignore_index = draw(st.sampled_from([-100, 0, c - 1, 7]))
    targets = (n,) + inner
    count = int(np.prod(targets, dtype=np.int64))
    y = np.array(draw(st.lists(st.one_of(st.integers(0, c - 1), st.just(ignore_index)), min_size=count,
                               max_size=count)), dtype=np.int64).reshape(targets)
    return x, y, ignore_index


@settings(max_examples=150, deadline=None)
@given(problem=softmax_problem(), dtype=st.sampled_from([np.float32, np.float64]),
       target_dtype=st.sampled_from([np.int32, np.int64]), g=gamma,
       smoothing=st.one_of(st.just(0.0), st.floats(0, 1, allow_nan=False)), weighted=st.booleans(),
       seed=st.integers(0, 1000))
def test_softmax_properties(problem, dtype, target_dtype, g, smoothing, weighted, seed):
    x, y, ignore_index = problem
    x = x.astype(dtype)
    y = y.astype(target_dtype)
    c = x.shape[1]
    alpha = np.random.default_rng(seed).uniform(0, 2, size=c) if weighted else None
    loss, grad = focalloss.softmax_focal_loss(x, y, alpha=alpha, gamma=g, reduction="none", ignore_index=ignore_index,
                                              label_smoothing=smoothing, return_grad=True)
    ref_loss, ref_grad, scale = reference.softmax(x, y, alpha, g, ignore_index, smoothing)
    assert_loss_close(loss, ref_loss, dtype)
    assert_grad_close(grad, ref_grad, scale, dtype)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    mean = focalloss.softmax_focal_loss(x, y, alpha=alpha, gamma=g, ignore_index=ignore_index,
                                        label_smoothing=smoothing)
    counted = y != ignore_index
    divisor = counted.sum() if alpha is None else alpha[y[counted]].sum()
    if divisor == 0:
        assert np.isnan(mean)
    else:
        assert_loss_close(mean, ref_loss.sum() / divisor, dtype)


@settings(max_examples=40, deadline=None)
@given(g=gamma, seed=st.integers(0, 10**6), smoothing=st.sampled_from([0.0, 0.2]))
def test_gradients_are_derivatives(g, seed, smoothing):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 3, size=(2, 3))
    t = rng.uniform(0, 1, size=(2, 3))
    y = rng.integers(0, 3, size=2)
    _, sg = focalloss.sigmoid_focal_loss(x, t, gamma=g, reduction="sum", return_grad=True)
    _, xg = focalloss.softmax_focal_loss(x, y, gamma=g, reduction="sum", label_smoothing=smoothing, return_grad=True)
    for analytic, f in ((sg, lambda v: focalloss.sigmoid_focal_loss(v, t, gamma=g, reduction="sum")),
                        (xg, lambda v: focalloss.softmax_focal_loss(v, y, gamma=g, reduction="sum",
                                                                    label_smoothing=smoothing))):
        for index in np.ndindex(x.shape):
            plus, minus = x.copy(), x.copy()
            plus[index] += 1e-6
            minus[index] -= 1e-6
            numeric = (f(plus) - f(minus)) / 2e-6
            assume(np.isfinite(numeric))
            assert abs(numeric - analytic[index]) <= 1e-5 * max(1.0, abs(numeric))
