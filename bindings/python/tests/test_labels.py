"""sigmoid_focal_loss_from_labels: the dense sigmoid on the one-hot targets, without the ignored
positions' elements, bit for bit; zeros at the ignored elements."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import focalloss


def dense_on_kept(x, labels, ignore_index, **kwargs):
    """The dense call on the kept elements' one-hot targets, and the mask of kept elements."""
    classes = x.shape[1]
    y = np.expand_dims(labels, 1)  # (N, 1, ...)
    onehot = (np.arange(classes).reshape((1, classes) + (1,) * (x.ndim - 2)) == y).astype(x.dtype)
    kept = np.broadcast_to(y != ignore_index, x.shape)
    return focalloss.sigmoid_focal_loss(x[kept], onehot[kept], **kwargs), kept


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@settings(max_examples=80, deadline=None)
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    label_dtype=st.sampled_from([np.int32, np.int64]),
    n=st.integers(0, 6), c=st.integers(1, 5), inner=st.lists(st.integers(1, 4), max_size=2),
    gamma=st.sampled_from([0.0, 0.5, 2.0, 3.7]),
    alpha=st.sampled_from([0.25, None]),
    reduction=st.sampled_from(["none", "sum", "mean"]),
    precision=st.sampled_from(["exact", "fast"]),
    ignore_index=st.sampled_from([-100, 0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_equals_dense_on_one_hot(dtype, label_dtype, n, c, inner, gamma, alpha, reduction, precision, ignore_index,
                                 seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 8, size=(n, c, *inner)).astype(dtype)
    labels = rng.integers(0, c + 1, size=(n, *inner))
    labels[rng.random(labels.shape) < 0.2] = ignore_index
    labels = labels.astype(label_dtype)
    kwargs = dict(alpha=alpha, gamma=gamma, reduction=reduction, precision=precision, return_grad=True)
    loss, grad = focalloss.sigmoid_focal_loss_from_labels(x, labels, ignore_index=ignore_index, **kwargs)
    (dense_loss, dense_grad), kept = dense_on_kept(x, labels, ignore_index, **kwargs)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    assert same_bits(grad[kept], dense_grad) and not grad[~kept].any()
    if reduction == "none":
        assert loss.shape == x.shape
        assert same_bits(loss[kept], dense_loss) and not loss[~kept].any()
    else:
        assert same_bits(loss, dense_loss)


def test_mmdet_convention():
    # Row 0: class 1 positive; row 1: background (label C = 3), all negative; row 2: ignored.
    x = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -3.0], [4.0, 4.0, 4.0]])
    labels = np.array([1, 3, -100])
    t = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    loss = focalloss.sigmoid_focal_loss_from_labels(x, labels)
    assert np.array_equal(loss[:2], focalloss.sigmoid_focal_loss(x[:2], t)) and not loss[2].any()
    mean = focalloss.sigmoid_focal_loss_from_labels(x, labels, reduction="mean")
    assert mean == focalloss.sigmoid_focal_loss(x[:2], t, reduction="mean")  # divides by 6, not 9


def test_large_call_over_several_chunks_and_threads():
    # 400 x 80 elements: several chunks of the library's parallel split, with ignored rows.
    rng = np.random.default_rng(7)
    x = rng.normal(0, 5, size=(400, 80)).astype(np.float32)
    labels = rng.integers(0, 81, size=400)
    labels[::9] = -100
    runs = [focalloss.sigmoid_focal_loss_from_labels(x, labels, reduction="sum", return_grad=True, num_threads=k)
            for k in (1, 2)]
    assert same_bits(runs[0][0], runs[1][0]) and same_bits(runs[0][1], runs[1][1])
    (dense_loss, dense_grad), kept = dense_on_kept(x, labels, -100, reduction="sum", return_grad=True)
    assert same_bits(runs[0][0], dense_loss) and same_bits(runs[0][1][kept], dense_grad)


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
def test_non_contiguous_inputs(label_dtype):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 8)).astype(np.float32)[:, ::2]
    labels = np.arange(12, dtype=label_dtype)[::2] % 5
    a = focalloss.sigmoid_focal_loss_from_labels(x, labels, return_grad=True)
    b = focalloss.sigmoid_focal_loss_from_labels(np.ascontiguousarray(x), np.ascontiguousarray(labels), return_grad=True)
    assert same_bits(a[0], b[0]) and same_bits(a[1], b[1])
