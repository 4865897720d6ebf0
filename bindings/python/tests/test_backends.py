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


# The extension's plain-call paths (_ext.c, "Plain calls"): for every argument the front end takes,
# either exactly its result (bits, dtype, type) or NotImplemented, never an error of their own.

def front_end(function, *args, **kwargs):
    try:
        return getattr(_frontend, function)(_ext, *args, **kwargs)
    except (TypeError, ValueError) as error:
        return error


def same_result(got, expected):
    if isinstance(expected, tuple):
        return isinstance(got, tuple) and len(got) == 2 and all(same_result(g, e) for g, e in zip(got, expected))
    return type(got) is type(expected) and same_bits(got, expected)


@settings(max_examples=120, deadline=None)
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    shape=st.lists(st.integers(0, 4), max_size=3),
    # As for the softmax below: mostly accepted values, some rejected ones.
    alpha=st.sampled_from([0.25, None, 0.0, 1, -1, 1.5]),
    gamma=st.sampled_from([0.0, 2, 2.0, 3.7, 0.5, -1.0]),
    reduction=st.sampled_from(["none", "sum", "mean"]),
    normalizer=st.sampled_from([None, None, None, 3.0, 2, 0.0]),
    return_grad=st.booleans(),
    num_threads=st.sampled_from([None, None, 0, 1, 2, -1]),
    precision=st.sampled_from(["exact", "fast"]),
    soft=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_sigmoid_plain_is_the_front_end(dtype, shape, alpha, gamma, reduction, normalizer, return_grad, num_threads,
                                        precision, soft, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 10, size=shape).astype(dtype)
    t = (rng.uniform(0, 1, size=shape) if soft else rng.integers(0, 2, size=shape)).astype(dtype)
    expected = front_end("sigmoid_focal_loss", x, t, alpha, gamma, reduction, normalizer=normalizer,
                         return_grad=return_grad, num_threads=num_threads, precision=precision)
    got = _ext.sigmoid_plain(x, t, alpha, gamma, reduction, normalizer, return_grad, num_threads, precision)
    if isinstance(expected, Exception):
        assert got is NotImplemented, expected
    else:
        assert same_result(got, expected)


@settings(max_examples=120, deadline=None)
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    target_dtype=st.sampled_from([np.int32, np.int64]),
    n=st.integers(0, 4), c=st.integers(0, 5), inner=st.lists(st.integers(0, 3), max_size=2),
    # Mostly values the library accepts, some it rejects (gamma -1, smoothing 1.5, normalizer 0 or
    # without "mean", num_threads -1, a target of C): about a third of the calls succeed.
    gamma=st.sampled_from([0.0, 2, 2.0, 3.7, 0.5, -1.0]),
    reduction=st.sampled_from(["none", "sum", "mean"]),
    ignore_index=st.sampled_from([-100, 0, 2**62]),
    smoothing=st.sampled_from([0.0, 0.0, 0.1, 1, 1.5]),
    normalizer=st.sampled_from([None, None, None, 3.0, 2, 0.0]),
    return_grad=st.booleans(),
    num_threads=st.sampled_from([None, None, 1, 2, -1]),
    precision=st.sampled_from(["exact", "fast"]),
    out_of_range=st.sampled_from([False, False, False, True]),
    seed=st.integers(0, 2**32 - 1),
)
def test_softmax_plain_is_the_front_end(dtype, target_dtype, n, c, inner, gamma, reduction, ignore_index, smoothing,
                                        normalizer, return_grad, num_threads, precision, out_of_range, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 6, size=(n, c, *inner)).astype(dtype)
    y = rng.integers(-1, max(c, 1) + (1 if out_of_range else 0), size=(n, *inner)).astype(target_dtype)
    y[y == -1] = -100
    expected = front_end("softmax_focal_loss", x, y, None, gamma, reduction, ignore_index=ignore_index,
                         label_smoothing=smoothing, normalizer=normalizer, return_grad=return_grad,
                         num_threads=num_threads, precision=precision)
    got = _ext.softmax_plain(x, y, None, gamma, reduction, ignore_index, smoothing, normalizer, return_grad,
                             num_threads, precision)
    if isinstance(expected, Exception):
        assert got is NotImplemented, expected
    else:
        assert same_result(got, expected)


class _Subclass(np.ndarray):
    pass


_x = np.linspace(-4, 4, 12, dtype=np.float32).reshape(3, 4)
_t = (np.arange(12) % 3 == 0).astype(np.float32).reshape(3, 4)
_y = np.array([0, 3, 1])
# Calls the front end takes (it copies, converts a scalar, or reads a sequence) and the plain
# path leaves to it: (function, args, kwargs).
NOT_PLAIN = [
    ("sigmoid_focal_loss", (_x[:, ::2], _t[:, ::2]), {}),                  # not contiguous
    ("sigmoid_focal_loss", (np.asfortranarray(_x), _t), {}),               # Fortran order
    ("sigmoid_focal_loss", (_x.view(_Subclass), _t), {}),                  # an ndarray subclass
    ("sigmoid_focal_loss", (_x, _t), {"gamma": np.float64(2.0)}),          # a numpy scalar
    ("sigmoid_focal_loss", (_x, _t), {"alpha": np.float32(0.25)}),
    ("sigmoid_focal_loss", (_x, _t), {"return_grad": np.bool_(True)}),
    ("sigmoid_focal_loss", (_x, _t), {"reduction": "mean", "normalizer": np.float64(4)}),
    ("sigmoid_focal_loss", (_x, _t), {"num_threads": np.int64(1)}),
    ("softmax_focal_loss", (_x, _y), {"alpha": [1.0, 2.0, 0.5, 1.0]}),   # class weights
    ("softmax_focal_loss", (_x, _y[::-1]), {}),                            # targets reversed: not contiguous
    ("softmax_focal_loss", (_x, _y), {"ignore_index": np.int64(-100)}),
    ("softmax_focal_loss", (_x, _y), {"label_smoothing": np.float32(0.1)}),
]


@pytest.mark.parametrize("function, args, kwargs", NOT_PLAIN)
def test_plain_declines_what_the_front_end_converts(function, args, kwargs):
    import inspect

    import focalloss

    plain = getattr(_ext, function.split("_")[0] + "_plain")
    names = list(inspect.signature(getattr(focalloss, function)).parameters)
    bound = inspect.signature(getattr(focalloss, function)).bind(*args, **kwargs)
    bound.apply_defaults()
    assert plain(*[bound.arguments[name] for name in names]) is NotImplemented
    # The public function then gives the front end's result, the same as the ctypes backend's.
    a, b = both(function, *args, **kwargs)
    assert same_bits(a, b)
    assert same_bits(getattr(focalloss, function)(*args, **kwargs), a)


def test_public_functions_use_the_plain_path_on_the_extension():
    import focalloss

    if focalloss.backend == "extension":
        assert focalloss._sigmoid_plain is _ext.sigmoid_plain and focalloss._softmax_plain is _ext.softmax_plain
    else:
        assert focalloss._sigmoid_plain is None and focalloss._softmax_plain is None


def test_plain_arity():
    with pytest.raises(TypeError, match="9 arguments"):
        _ext.sigmoid_plain(_x, _t)
    with pytest.raises(TypeError, match="11 arguments"):
        _ext.softmax_plain(_x, _y)
