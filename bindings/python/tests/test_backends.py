"""Both backends give identical results, bit for bit, and identical exceptions and messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bad_inputs import CASES
from focalloss import _ctypes_backend, _frontend

try:
    from focalloss import _ext
except ImportError:  # pragma: no cover - the Makefile always builds it
    _ext = None

pytestmark = pytest.mark.skipif(_ext is None, reason="the extension backend is not built")


def both(function, *args, **kwargs):
    """Runs one call on each backend; returns both outcomes (results or (type, message))."""
    outcomes = []
    for backend in (_ctypes_backend, _ext):
        try:
            outcomes.append(getattr(_frontend, function)(backend, *args, **kwargs))
        except (TypeError, ValueError) as error:
            outcomes.append((type(error), str(error)))
    return outcomes


def same_bits(a, b):
    if isinstance(a, tuple) and isinstance(a[0], type):
        return a == b
    if isinstance(a, tuple):
        return all(same_bits(u, v) for u, v in zip(a, b))
    return np.asarray(a).tobytes() == np.asarray(b).tobytes() and np.asarray(a).dtype == np.asarray(b).dtype


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_same_exception_and_message(case):
    _, function, args, kwargs, exception, _ = case
    a, b = both(function, *args, **kwargs)
    assert a == b and a[0] is exception


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=3),
    gamma=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.7]),
    alpha=st.sampled_from([0.25, None, 0.0, 1.0]),
    reduction=st.sampled_from(["none", "sum", "mean"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_sigmoid_bitwise(dtype, shape, gamma, alpha, reduction, seed):
    rng = np.random.default_rng(seed)
    x = (rng.normal(0, 10, size=shape)).astype(dtype)
    t = rng.uniform(0, 1, size=shape).astype(dtype)
    a, b = both("sigmoid_focal_loss", x, t, alpha, gamma, reduction, return_grad=True)
    assert same_bits(a, b)


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    target_dtype=st.sampled_from([np.int32, np.int64]),
    n=st.integers(0, 4), c=st.integers(1, 5), inner=st.lists(st.integers(1, 3), max_size=2),
    gamma=st.sampled_from([0.0, 0.5, 2.0, 3.7]),
    smoothing=st.sampled_from([0.0, 0.1, 1.0]),
    weighted=st.booleans(),
    reduction=st.sampled_from(["none", "sum", "mean"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_softmax_bitwise(dtype, target_dtype, n, c, inner, gamma, smoothing, weighted, reduction, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 6, size=(n, c, *inner)).astype(dtype)
    y = rng.integers(-1, c, size=(n, *inner)).astype(target_dtype)
    y[y == -1] = -100
    alpha = rng.uniform(0, 2, size=c) if weighted else None
    a, b = both("softmax_focal_loss", x, y, alpha, gamma, reduction, label_smoothing=smoothing, return_grad=True)
    assert same_bits(a, b)
