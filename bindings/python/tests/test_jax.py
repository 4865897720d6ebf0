"""focalloss.jax with the real JAX, on this backend.

- Values: the sigmoid against ``optax.sigmoid_focal_loss`` (unreduced, alpha None by default: it
  is always given alpha explicitly here, and reduced by hand), the softmax against a jnp float64
  reference written from the definition (docs/math.md), both under jax_enable_x64 (set with
  ``jax.enable_x64``, a context, so that no other test sees it): every reduction, normalizer
  (static and traced), weights (per element and per position), ignore_index, label smoothing,
  class weights. Gradients: ``jax.vjp`` of both with the same random cotangent (so that a wrong
  broadcast of a "none" cotangent cannot pass) and ``jax.grad``.
- The JAX functions return the numpy API's results bit for bit, loss and gradient, in float16,
  bfloat16, float32 and float64, under jax.jit and not.
- Data inputs: differentiating float targets or weights raises, float0 for integer labels
  and integer normalizers, -loss / normalizer for a float normalizer array.
- jax.vmap: per-example results and gradients, equal to a loop over the examples.
- Errors: static parameters are checked when the function is called, with the numpy API's
  exceptions and messages; a traced static parameter is a TypeError; what only the data shows is
  the library's message inside JAX's runtime error; forward mode and second derivatives raise.
- The focal family (FL*, asymmetric, quality focal, varifocal) and Poly-1 (poly1_epsilon of both
  functions): jnp float64 transcriptions of their definitions, loss and pullback, under jax.jit;
  the numpy API bit for bit in every dtype (epsilon 0 the focal loss bit for bit); vmap, the
  normalizer (traced, and its cotangent), data cotangents and the errors.

jax and optax come from PyPI in build/test-venv (`make test` installs them): without them this
file fails rather than skips.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

try:
    import jax
    import jax.numpy as jnp
    import optax
except ImportError as error:  # never a skip: `make test` installs both into build/test-venv
    pytest.fail("focalloss.jax goes untested: %s. `make test` runs the Python suite on build/test-venv, which has "
                "jax[cpu] and optax (make build/test-venv/.jax)" % error, pytrace=False)

import focalloss
import focalloss.jax as fl

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
REDUCTIONS = ["none", "sum", "mean"]
GAMMAS = [0.0, 0.5, 2.0, 3.5]


@pytest.fixture
def x64():
    """float64 for the duration of one test only."""
    with jax.enable_x64(True):
        yield


def _rng(seed):
    return np.random.default_rng(seed)


def _close(actual, expected, rtol=1e-10):
    """float64 against a jnp float64 reference (itself a few ulps off): elementwise within rtol of
    the value, or of rtol times the largest magnitude for entries that nearly cancel."""
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    ok = ~np.isnan(expected)
    scale = np.max(np.abs(expected[ok]), initial=0.0)
    np.testing.assert_allclose(actual[ok], expected[ok], rtol=rtol, atol=rtol * 1e-2 * scale)


def _same_bits(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    assert actual.tobytes() == expected.tobytes(), (actual, expected)


def _cotangent(loss_shape, dtype, seed=7):
    """A random cotangent for a loss of this shape: a non-uniform array for "none", a scalar other
    than 1 otherwise, so that a wrong broadcast or a dropped factor shows."""
    if loss_shape == ():
        return jnp.asarray(1.75, dtype)
    return jnp.asarray(_rng(seed).uniform(0.5, 2.0, size=loss_shape), dtype)


# ---- References ---------------------------------------------------------------------------------

def _reduce(elementwise, reduction, divisor, normalizer):
    if reduction == "none":
        return elementwise
    total = jnp.sum(elementwise)
    if reduction == "sum":
        return total
    return total / (divisor if normalizer is None else normalizer)


def sigmoid_reference(x, t, alpha=0.25, gamma=2.0, reduction="none", normalizer=None, weights=None):
    """optax's unreduced loss (alpha None or -1 disables, as in focalloss), weighted and reduced as
    the numpy API documents: the mean divides by the element count, weights or not."""
    loss = optax.sigmoid_focal_loss(x, t, alpha=None if alpha in (None, -1) else alpha, gamma=gamma)
    if weights is not None:
        loss = loss * (weights if weights.shape == x.shape else jnp.expand_dims(weights, 1))
    return _reduce(loss, reduction, x.size, normalizer)


def softmax_reference(x, y, alpha=None, gamma=2.0, reduction="mean", ignore_index=-100, label_smoothing=0.0,
                      normalizer=None, weights=None):
    """-sum_c a_c q_c (1 - p_c) ** gamma log p_c per position, 0 where ignored; the mean divides by
    the sum of weight * alpha[y] over the positions not ignored (cross_entropy's weighted mean)."""
    classes = x.shape[1]
    kept = y != ignore_index
    label = jnp.where(kept, y, 0)
    log_p = jax.nn.log_softmax(x, axis=1)
    one_minus_p = -jnp.expm1(log_p)
    q = (1 - label_smoothing) * jnp.moveaxis(jax.nn.one_hot(label, classes, dtype=x.dtype), -1, 1) \
        + label_smoothing / classes
    a = jnp.ones(classes, x.dtype) if alpha is None else jnp.asarray(alpha, x.dtype)
    a_c = a.reshape((1, classes) + (1,) * (x.ndim - 2))
    focal = one_minus_p ** gamma if gamma != 0 else jnp.ones_like(x)
    loss = -jnp.sum(a_c * q * focal * log_p, axis=1)
    w = jnp.ones(y.shape, x.dtype) if weights is None else weights
    loss = jnp.where(kept, w * loss, 0)
    return _reduce(loss, reduction, jnp.sum(jnp.where(kept, w * a[label], 0)), normalizer)


def _sigmoid_data(shape, dtype=np.float64, soft=False, seed=0):
    rng = _rng(seed)
    x = rng.normal(scale=3.0, size=shape)
    t = rng.uniform(size=shape) if soft else (rng.uniform(size=shape) < 0.3).astype(np.float64)
    return jnp.asarray(x.astype(dtype)), jnp.asarray(t.astype(dtype))


def _softmax_data(shape, dtype=np.float64, ignored=2, seed=0, label_dtype=np.int32):
    rng = _rng(seed)
    x = rng.normal(scale=3.0, size=shape)
    y = rng.integers(0, shape[1], size=shape[:1] + shape[2:])
    y.reshape(-1)[:ignored] = -100
    return jnp.asarray(x.astype(dtype)), jnp.asarray(y.astype(label_dtype))


# ---- Lazy import ----------------------------------------------------------------------------------

def test_import_focalloss_does_not_import_jax():
    code = ("import sys, focalloss\n"
            "assert 'jax' not in sys.modules, 'import focalloss imported jax'\n"
            "import focalloss.jax\n"
            "assert 'jax' in sys.modules\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "bindings", "python"))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# ---- Against optax and the jnp reference, float64 ------------------------------------------------

def _check_vjp(ours, theirs, x):
    """ours(x) against theirs(x) in float64: the loss, and the pullback of one random cotangent."""
    loss, pullback = jax.vjp(ours, x)
    expected, expected_pullback = jax.vjp(theirs, x)
    assert loss.dtype == jnp.float64 and loss.shape == expected.shape
    _close(loss, expected)
    g = _cotangent(loss.shape, jnp.float64)
    _close(pullback(g)[0], expected_pullback(g)[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", [0.25, None, 0.7])
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("soft", [False, True])
def test_sigmoid_matches_optax(x64, reduction, alpha, gamma, soft):
    x, t = _sigmoid_data((6, 5), soft=soft)
    ours = jax.jit(lambda x: fl.sigmoid_focal_loss(x, t, alpha, gamma, reduction))
    theirs = lambda x: sigmoid_reference(x, t, alpha, gamma, reduction)  # noqa: E731
    _check_vjp(ours, theirs, x)


def test_sigmoid_default_arguments_are_torchvisions(x64):
    """alpha 0.25, gamma 2, "none" (optax's own defaults are alpha None, unreduced)."""
    x, t = _sigmoid_data((4, 3))
    _close(fl.sigmoid_focal_loss(x, t), optax.sigmoid_focal_loss(x, t, alpha=0.25, gamma=2.0))
    assert not np.allclose(fl.sigmoid_focal_loss(x, t), optax.sigmoid_focal_loss(x, t))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", [None, [0.5, 1.0, 2.0, 0.25]])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_softmax_matches_reference(x64, reduction, gamma, alpha, label_smoothing):
    x, y = _softmax_data((5, 4, 3), label_dtype=np.int64)
    kwargs = dict(alpha=alpha, gamma=gamma, reduction=reduction, label_smoothing=label_smoothing)
    ours = jax.jit(lambda x: fl.softmax_focal_loss(x, y, **kwargs))
    theirs = lambda x: softmax_reference(x, y, **kwargs)  # noqa: E731
    _check_vjp(ours, theirs, x)


def test_softmax_ignore_index_and_2d(x64):
    x, y = _softmax_data((4, 3), ignored=0)
    y = y.at[1].set(7)
    for reduction in REDUCTIONS:
        loss, grad = jax.value_and_grad(lambda x: jnp.sum(fl.softmax_focal_loss(x, y, reduction=reduction,
                                                                                ignore_index=7)))(x)
        expected, expected_grad = jax.value_and_grad(
            lambda x: jnp.sum(softmax_reference(x, y, reduction=reduction, ignore_index=7)))(x)
        _close(loss, expected)
        _close(grad, expected_grad)
        assert np.all(grad[1] == 0)


def test_softmax_mean_over_nothing_is_nan(x64):
    x = jnp.zeros((2, 3))
    y = jnp.full((2,), -100)
    loss, grad = jax.value_and_grad(lambda x: fl.softmax_focal_loss(x, y))(x)
    assert np.isnan(loss)
    assert fl.softmax_focal_loss(x, y, reduction="sum") == 0


def test_jax_grad_is_the_librarys_gradient(x64):
    """jax.grad of a reduced loss: the cotangent is 1 and the gradient the library's, bit for bit."""
    x, t = _sigmoid_data((7, 3))
    _, expected = focalloss.sigmoid_focal_loss(np.asarray(x), np.asarray(t), reduction="mean", return_grad=True)
    _same_bits(jax.grad(lambda x: fl.sigmoid_focal_loss(x, t, reduction="mean"))(x), expected)
    x, y = _softmax_data((3, 5, 2))
    _, expected = focalloss.softmax_focal_loss(np.asarray(x), np.asarray(y), gamma=1.5, return_grad=True)
    _same_bits(jax.jit(jax.grad(lambda x: fl.softmax_focal_loss(x, y, gamma=1.5)))(x), expected)


# ---- Normalizer and weights ---------------------------------------------------------------------

def test_sigmoid_normalizer_static_and_traced(x64):
    x, t = _sigmoid_data((8, 3))
    positives = jnp.sum(t)
    expected, expected_grad = jax.value_and_grad(
        lambda x: sigmoid_reference(x, t, reduction="mean", normalizer=positives))(x)
    static = jax.value_and_grad(lambda x: fl.sigmoid_focal_loss(x, t, reduction="mean",
                                                                 normalizer=float(positives)))(x)

    @jax.jit
    def step(x, t):  # RetinaNet: divide by the positives counted in the step itself
        return jax.value_and_grad(lambda x: fl.sigmoid_focal_loss(x, t, reduction="mean",
                                                                  normalizer=jnp.sum(t)))(x)

    for loss, grad in (static, step(x, t)):
        _close(loss, expected)
        _close(grad, expected_grad)


def test_normalizer_array_cotangent(x64):
    """A float normalizer array is differentiable: d(sum / n)/dn = -loss / n."""
    x, t = _sigmoid_data((5, 4))
    n = jnp.asarray(3.0)
    ours = lambda x, n: fl.sigmoid_focal_loss(x, t, reduction="mean", normalizer=n)  # noqa: E731
    theirs = lambda x, n: sigmoid_reference(x, t, reduction="mean", normalizer=n)  # noqa: E731
    cotangents = jax.grad(ours, argnums=(0, 1))(x, n)
    expected = jax.grad(theirs, argnums=(0, 1))(x, n)
    _close(cotangents[0], expected[0])
    _close(cotangents[1], expected[1])
    assert cotangents[1].dtype == jnp.float64 and cotangents[1] < 0

    x, y = _softmax_data((4, 3, 2))
    loss_n = jax.jit(jax.grad(lambda n: 2.5 * fl.softmax_focal_loss(x, y, normalizer=n)))(n)
    _close(loss_n, jax.grad(lambda n: 2.5 * softmax_reference(x, y, normalizer=n))(n))

    # An integer count: float0, as JAX gives for every integer input.
    count = jnp.asarray(3, jnp.int32)
    _, n_cotangent = jax.grad(lambda x, n: fl.softmax_focal_loss(x, y, normalizer=n), argnums=(0, 1),
                              allow_int=True)(x, count)
    assert n_cotangent.dtype == jax.dtypes.float0 and n_cotangent.shape == ()
    _close(fl.softmax_focal_loss(x, y, normalizer=count), softmax_reference(x, y, normalizer=3.0))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("per_position", [False, True])
def test_sigmoid_weights(x64, reduction, per_position):
    x, t = _sigmoid_data((4, 3, 2))
    shape = (4, 2) if per_position else (4, 3, 2)
    w = jnp.asarray(_rng(3).uniform(0, 2, size=shape))
    _check_vjp(lambda x: fl.sigmoid_focal_loss(x, t, reduction=reduction, weights=w),
               lambda x: sigmoid_reference(x, t, reduction=reduction, weights=w), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_softmax_weights(x64, reduction):
    x, y = _softmax_data((6, 4, 2))
    w = jnp.asarray(_rng(4).uniform(0, 2, size=(6, 2)))
    kwargs = dict(alpha=[1.0, 2.0, 0.5, 1.5], reduction=reduction, weights=w)
    _check_vjp(lambda x: fl.softmax_focal_loss(x, y, **kwargs), lambda x: softmax_reference(x, y, **kwargs), x)


# ---- Cotangents of the data inputs --------------------------------------------------------------

def test_data_cotangents(x64):
    """Float data that is being differentiated raises (a zero cotangent would be wrong); held
    constant with stop_gradient, or not differentiated, it is fine; integer labels get float0."""
    x, t = _sigmoid_data((4, 3), soft=True)
    w = jnp.asarray(_rng(5).uniform(0.5, 2, size=(4, 3)))
    loss = lambda x, t, w: fl.sigmoid_focal_loss(x, t, reduction="sum", weights=w)
    for argnums, name in ((1, "targets"), (2, "weights"), ((0, 1), "targets")):
        with pytest.raises(TypeError, match="%s is being differentiated: hold it constant" % name):
            jax.grad(loss, argnums=argnums)(x, t, w)
    # Soft targets computed from the differentiated value: raises; stop_gradient'ed: the gradient
    # of the loss with those targets held constant.
    with pytest.raises(TypeError, match="targets is being differentiated"):
        jax.grad(lambda x: fl.sigmoid_focal_loss(x, jax.nn.sigmoid(x), reduction="sum"))(x)
    dx = jax.grad(lambda x: fl.sigmoid_focal_loss(x, jax.lax.stop_gradient(jax.nn.sigmoid(x)), reduction="sum"))(x)
    _, expected = focalloss.sigmoid_focal_loss(np.asarray(x), np.asarray(jax.nn.sigmoid(x)), reduction="sum",
                                               return_grad=True)
    assert np.array_equal(np.asarray(dx), expected)

    x, y = _softmax_data((4, 3))
    w = jnp.asarray(_rng(6).uniform(0.5, 2, size=(4,)))
    dx, dy = jax.grad(lambda x, y, w: fl.softmax_focal_loss(x, y, weights=w), argnums=(0, 1), allow_int=True)(x, y, w)
    assert np.any(dx != 0)
    assert dy.dtype == jax.dtypes.float0 and dy.shape == y.shape
    with pytest.raises(TypeError, match="weights is being differentiated"):
        jax.grad(lambda x, w: fl.softmax_focal_loss(x, y, weights=w), argnums=(0, 1))(x, w)
    with pytest.raises(TypeError, match="int"):  # JAX's own rule for integer inputs
        jax.grad(lambda y: fl.softmax_focal_loss(x, y))(y)


# ---- The numpy API's results, bit for bit, in every dtype ---------------------------------------

DTYPES = ["float16", "bfloat16", "float32", "float64"]


def _np_dtype(name):
    return np.dtype(jnp.dtype(name))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sigmoid_bits_equal_numpy_api(dtype, reduction):
    with jax.enable_x64(dtype == "float64"):
        x, t = _sigmoid_data((5, 4), dtype=_np_dtype(dtype), seed=1)
        w = jnp.asarray(_rng(2).uniform(0, 2, size=(5,)).astype(_np_dtype(dtype)))
        kwargs = dict(alpha=0.3, gamma=1.5, reduction=reduction, weights=w)
        expected, expected_grad = focalloss.sigmoid_focal_loss(np.asarray(x), np.asarray(t), return_grad=True,
                                                               **dict(kwargs, weights=np.asarray(w)))
        for function in (fl.sigmoid_focal_loss, jax.jit(fl.sigmoid_focal_loss, static_argnames=("alpha", "gamma",
                                                                                                  "reduction"))):
            loss, pullback = jax.vjp(lambda x: function(x, t, **kwargs), x)
            assert loss.dtype == x.dtype
            _same_bits(loss, expected)
            # The cotangent 1 (of the sum for "none") gives the library's gradient itself.
            _same_bits(pullback(jnp.ones(loss.shape, x.dtype))[0], expected_grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_softmax_bits_equal_numpy_api(dtype, reduction):
    with jax.enable_x64(dtype == "float64"):
        x, y = _softmax_data((3, 4, 2), dtype=_np_dtype(dtype), seed=2)
        w = jnp.asarray(_rng(3).uniform(0, 2, size=(3, 2)).astype(_np_dtype(dtype)))
        kwargs = dict(alpha=(1.0, 0.5, 2.0, 1.0), gamma=2.0, reduction=reduction, label_smoothing=0.05, weights=w)
        expected, expected_grad = focalloss.softmax_focal_loss(np.asarray(x), np.asarray(y), return_grad=True,
                                                               **dict(kwargs, weights=np.asarray(w)))
        loss, pullback = jax.vjp(jax.jit(lambda x: fl.softmax_focal_loss(x, y, **kwargs)), x)
        assert loss.dtype == x.dtype
        _same_bits(loss, expected)
        _same_bits(pullback(jnp.ones(loss.shape, x.dtype))[0], expected_grad)


def test_float32_without_x64():
    x, t = _sigmoid_data((3, 2), dtype=np.float32)
    loss = jax.jit(lambda x: fl.sigmoid_focal_loss(x, t, reduction="sum"))(x)
    assert loss.dtype == jnp.float32 and loss.shape == ()
    _same_bits(loss, focalloss.sigmoid_focal_loss(np.asarray(x), np.asarray(t), reduction="sum"))


def test_numpy_arrays_are_accepted(x64):
    x, t = _sigmoid_data((3, 2))
    _same_bits(fl.sigmoid_focal_loss(np.asarray(x), np.asarray(t)),
               focalloss.sigmoid_focal_loss(np.asarray(x), np.asarray(t)))


def test_fast_precision_and_threads_pass_through():
    x, t = _sigmoid_data((64, 9), dtype=np.float32, seed=4)
    for precision in ("exact", "fast"):
        expected = focalloss.sigmoid_focal_loss(np.asarray(x), np.asarray(t), precision=precision)
        _same_bits(fl.sigmoid_focal_loss(x, t, precision=precision, num_threads=1), expected)
    exact = fl.sigmoid_focal_loss(x, t)
    fast = fl.sigmoid_focal_loss(x, t, precision="fast")
    assert not np.array_equal(np.asarray(exact), np.asarray(fast))  # the tier reached the library


# ---- vmap ---------------------------------------------------------------------------------------

def _weighted_sum(loss):
    """A scalar from a loss of any shape whose cotangent differs from element to element."""
    return jnp.sum(loss * jnp.arange(1, loss.size + 1, dtype=loss.dtype).reshape(loss.shape))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_vmap_is_per_example(x64, reduction):
    """Each example reduces its own slice; per-example gradients are each example's own."""
    x, t = _sigmoid_data((4, 6, 3), seed=8)
    one = lambda x, t: fl.sigmoid_focal_loss(x, t, reduction=reduction)  # noqa: E731
    batched = jax.jit(jax.vmap(one))(x, t)
    looped = jnp.stack([one(x[i], t[i]) for i in range(4)])
    _same_bits(batched, looped)
    total = lambda x, t: _weighted_sum(one(x, t))  # noqa: E731
    _same_bits(jax.vmap(jax.grad(total))(x, t), jnp.stack([jax.grad(total)(x[i], t[i]) for i in range(4)]))

    examples = [_softmax_data((5, 4, 2), seed=9 + i) for i in range(3)]
    x, y = jnp.stack([x for x, _ in examples]), jnp.stack([y for _, y in examples])
    one = lambda x, y: fl.softmax_focal_loss(x, y, reduction=reduction)  # noqa: E731
    _same_bits(jax.vmap(one)(x, y), jnp.stack([one(x[i], y[i]) for i in range(3)]))
    total = lambda x, y: _weighted_sum(one(x, y))  # noqa: E731
    _same_bits(jax.vmap(jax.grad(total))(x, y), jnp.stack([jax.grad(total)(x[i], y[i]) for i in range(3)]))


def test_vmap_over_logits_only(x64):
    """Shared targets, batched logits (vmap's in_axes): the same as a loop."""
    x, t = _sigmoid_data((3, 4, 2), seed=10)
    f = jax.vmap(lambda x: fl.sigmoid_focal_loss(x, t[0], reduction="mean"))
    _same_bits(f(x), jnp.stack([fl.sigmoid_focal_loss(x[i], t[0], reduction="mean") for i in range(3)]))


# ---- Errors -------------------------------------------------------------------------------------

def _first_line(error):
    """The message of an error raised inside a JAX transformation, without the note JAX appends
    (on traceback filtering)."""
    return str(error).split("\n")[0]


SIGMOID_BAD = [dict(gamma=-1.0), dict(gamma="2"), dict(alpha=1.5), dict(reduction="avg"), dict(reduction=None),
               dict(precision="quick"), dict(num_threads=-1), dict(num_threads=1.5),
               dict(normalizer=2.0), dict(normalizer=-1.0, reduction="mean"), dict(poly1_epsilon=-0.5),
               dict(poly1_epsilon="1"), dict(poly1_epsilon=float("nan"))]


@pytest.mark.parametrize("bad", SIGMOID_BAD, ids=[repr(b) for b in SIGMOID_BAD])
def test_sigmoid_bad_static_parameter_is_the_numpy_apis_error(bad):
    x, t = _sigmoid_data((3, 2), dtype=np.float32)
    with pytest.raises((TypeError, ValueError)) as expected:
        focalloss.sigmoid_focal_loss(np.asarray(x), np.asarray(t), **bad)
    with pytest.raises(expected.type) as ours:
        fl.sigmoid_focal_loss(x, t, **bad)
    assert str(ours.value) == str(expected.value)
    with pytest.raises(expected.type) as ours:
        jax.jit(lambda x: fl.sigmoid_focal_loss(x, t, **bad))(x)
    assert _first_line(ours.value) == str(expected.value)


SOFTMAX_BAD = [dict(alpha=0.25), dict(alpha=[1.0, 2.0]), dict(alpha=[1.0, -1.0, 1.0]), dict(gamma=float("nan")),
               dict(label_smoothing=1.5), dict(ignore_index=1.5), dict(reduction="average"),
               dict(normalizer=0.0), dict(precision=1), dict(poly1_epsilon=float("inf")),
               dict(label_smoothing=0.1, poly1_epsilon=1.0)]


@pytest.mark.parametrize("bad", SOFTMAX_BAD, ids=[repr(b) for b in SOFTMAX_BAD])
def test_softmax_bad_static_parameter_is_the_numpy_apis_error(bad):
    x, y = _softmax_data((2, 3), ignored=0)
    with pytest.raises((TypeError, ValueError)) as expected:
        focalloss.softmax_focal_loss(np.asarray(x), np.asarray(y), **bad)
    with pytest.raises(expected.type) as ours:
        fl.softmax_focal_loss(x, y, **bad)
    assert str(ours.value) == str(expected.value)
    with pytest.raises(expected.type) as ours:
        jax.grad(lambda x: fl.softmax_focal_loss(x, y, **bad))(x)
    assert _first_line(ours.value) == str(expected.value)


def test_bad_arrays():
    x, t = _sigmoid_data((3, 2), dtype=np.float32)
    with pytest.raises(TypeError, match="logits must have dtype float16, bfloat16, float32 or float64, got int32"):
        fl.sigmoid_focal_loss(x.astype(jnp.int32), t)
    with pytest.raises(TypeError, match="targets must have the logits' dtype float32, got float16"):
        fl.sigmoid_focal_loss(x, t.astype(jnp.float16))
    with pytest.raises(ValueError, match=r"targets must have the logits' shape \(3, 2\), got \(2, 3\)"):
        fl.sigmoid_focal_loss(x, t.T)
    with pytest.raises(ValueError, match=r"weights must have the logits' shape \(3, 2\) or the positions' shape "
                                         r"\(3,\), got \(2,\)"):
        fl.sigmoid_focal_loss(x, t, weights=jnp.ones(2, jnp.float32))
    with pytest.raises(TypeError, match="weights must have the logits' dtype float32, got float16"):
        fl.sigmoid_focal_loss(x, t, weights=jnp.ones(3, jnp.float16))
    with pytest.raises(TypeError, match="logits must be a jax.Array or numpy.ndarray, got list"):
        fl.sigmoid_focal_loss([[0.0]], t)
    with pytest.raises(TypeError, match="normalizer must be a real number or a 0-d array, got str"):
        fl.sigmoid_focal_loss(x, t, reduction="mean", normalizer="3")
    with pytest.raises(ValueError, match=r"normalizer must be a number or a 0-d array, got shape \(1,\)"):
        fl.sigmoid_focal_loss(x, t, reduction="mean", normalizer=jnp.ones(1))
    with pytest.raises(TypeError, match="normalizer must be a real number or a 0-d float or integer array, got dtype "
                                        "bool"):
        fl.sigmoid_focal_loss(x, t, reduction="mean", normalizer=jnp.asarray(True))

    y = jnp.zeros(3, jnp.int32)
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C, ...\) with the classes on axis 1, got "
                                         r"\(3,\)"):
        fl.softmax_focal_loss(x[:, 0], y)
    with pytest.raises(TypeError, match="labels must have dtype int64 or int32, got float32"):
        fl.softmax_focal_loss(x, y.astype(jnp.float32))
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\) for logits of shape \(3, 2\), got \(2,\)"):
        fl.softmax_focal_loss(x, y[:2])
    with pytest.raises(ValueError, match=r"weights must have the labels' shape \(3,\), got \(3, 2\)"):
        fl.softmax_focal_loss(x, y, weights=jnp.ones((3, 2), jnp.float32))


def test_traced_static_parameter_is_a_type_error():
    x, t = _sigmoid_data((3, 2), dtype=np.float32)
    with pytest.raises(TypeError, match="gamma must be a static Python value .* not a traced JAX value"):
        jax.jit(lambda x, gamma: fl.sigmoid_focal_loss(x, t, gamma=gamma))(x, 2.0)
    y = jnp.zeros(3, jnp.int32)
    with pytest.raises(TypeError, match="alpha must be a static Python value"):
        jax.jit(lambda x, a: fl.softmax_focal_loss(x, y, alpha=a))(x, jnp.ones(2))
    # A concrete array of class weights is a static value.
    _same_bits(fl.softmax_focal_loss(x, y, alpha=jnp.asarray([1.0, 3.0])),
               focalloss.softmax_focal_loss(np.asarray(x), np.asarray(y), alpha=[1.0, 3.0]))


def test_data_errors_surface_when_the_computation_runs():
    """Only the data shows these: the library's message, inside JAX's runtime error."""
    x, t = _sigmoid_data((3, 2), dtype=np.float32)
    with pytest.raises(jax.errors.JaxRuntimeError, match=r"ValueError: targets\[1\] = 2.0 is outside \[0, 1\]"):
        jax.jit(fl.sigmoid_focal_loss)(x, t.at[0, 1].set(2.0)).block_until_ready()
    y = jnp.asarray([0, 5, 1], jnp.int32)
    with pytest.raises(jax.errors.JaxRuntimeError, match=r"targets\[1\] = 5 is out of range"):
        jax.grad(lambda x: fl.softmax_focal_loss(x, y))(x).block_until_ready()
    with pytest.raises(jax.errors.JaxRuntimeError, match=r"normalizer = 0.0 must be finite and > 0"):
        fl.sigmoid_focal_loss(x, t, reduction="mean", normalizer=jnp.float32(0)).block_until_ready()
    with pytest.raises(jax.errors.JaxRuntimeError, match=r"weights\[2\] = -1.0"):
        fl.sigmoid_focal_loss(x, t, weights=jnp.asarray([1.0, 1.0, -1.0], jnp.float32)).block_until_ready()


def test_forward_mode_and_second_derivatives_raise():
    x, t = _sigmoid_data((3, 2), dtype=np.float32)
    loss = lambda x: fl.sigmoid_focal_loss(x, t, reduction="sum")  # noqa: E731
    with pytest.raises(TypeError, match="can't apply forward-mode autodiff"):
        jax.jvp(loss, (x,), (x,))
    with pytest.raises(ValueError, match="Pure callbacks do not support JVP"):
        jax.grad(lambda x: jnp.sum(jax.grad(loss)(x)))(x)
    with pytest.raises(ValueError, match="Pure callbacks do not support JVP"):
        jax.hessian(loss)(x)


def test_docstrings():
    for function in (fl.sigmoid_focal_loss, fl.softmax_focal_loss, fl.sigmoid_focal_star_loss, fl.asymmetric_loss,
                     fl.quality_focal_loss, fl.varifocal_loss):
        for word in ("Args:", "Returns:", "Raises:", "TypeError", "ValueError", "JaxRuntimeError", "host", "differentiating"):
            assert word in function.__doc__, word


def test_numpy_api_reads_jax_arrays():
    """The numpy-level functions take jax arrays (through DLPack; bfloat16 through the array
    protocol, which numpy's DLPack lacks), with the results of the same numpy arrays."""
    rng = _rng(11)
    x = rng.normal(size=(6, 4)).astype(np.float32) * 3
    t = (rng.random((6, 4)) < 0.3).astype(np.float32)
    for dtype in (jnp.float32, jnp.bfloat16, jnp.float16):
        xj, tj = jnp.asarray(x, dtype), jnp.asarray(t, dtype)
        loss, grad = focalloss.sigmoid_focal_loss(xj, tj, return_grad=True)
        ref_loss, ref_grad = focalloss.sigmoid_focal_loss(np.asarray(xj), np.asarray(tj), return_grad=True)
        assert isinstance(loss, np.ndarray) and loss.dtype == ref_loss.dtype
        assert np.array_equal(loss, ref_loss) and np.array_equal(grad, ref_grad)
    y = jnp.asarray([0, 3, 1, 2, 2, 0], jnp.int32)
    assert focalloss.softmax_focal_loss(jnp.asarray(x), y) == focalloss.softmax_focal_loss(x, np.asarray(y))


# ---- The focal family: FL*, asymmetric, quality focal, varifocal ---------------------------------
#
# Each against a jnp float64 transcription of its definition (docs/math.md), loss and pullback;
# the numpy API bit for bit in every dtype; jit, grad, vmap, the normalizer and the errors as for
# the sigmoid focal loss (the same operator machinery).

def _bce(x, t):
    """BCEWithLogits as a sum of non-negative terms (no cancellation for a confident logit)."""
    return t * jax.nn.softplus(-x) + (1 - t) * jax.nn.softplus(x)


def fl_star_reference(x, t, alpha=None, gamma=1.0, beta=0.0):
    loss = -jax.nn.log_sigmoid(gamma * (2 * t - 1) * x + beta) / gamma
    return loss if alpha is None else (alpha * t + (1 - alpha) * (1 - t)) * loss


def asl_reference(x, t, gamma_pos=1.0, gamma_neg=4.0, margin=0.05):
    s = jax.nn.sigmoid(x)
    above = s > margin
    p_m = jnp.where(above, s - margin, 0.0)
    log_one_minus_p_m = jnp.where(above, jnp.log(jax.nn.sigmoid(-x) + margin), 0.0)
    u = t * jax.nn.sigmoid(-x) + (1 - t) * p_m
    g = gamma_pos * t + gamma_neg * (1 - t)
    return -u ** g * (t * jax.nn.log_sigmoid(x) + (1 - t) * log_one_minus_p_m)


def qfl_reference(x, t, beta=2.0):
    return jnp.abs(jax.nn.sigmoid(x) - t) ** beta * _bce(x, t)


def vfl_reference(x, t, alpha=0.75, gamma=2.0, iou_weighted=True):
    positive = (t if iou_weighted else 1.0) * _bce(x, t)
    negative = alpha * jax.nn.sigmoid(x) ** gamma * jax.nn.softplus(x)
    return jnp.where(t > 0, positive, negative)


#: name: (function, numpy API function, reference, parameter sets: the defaults, then ones that
#: move every parameter).
FAMILY = {
    "sigmoid_focal_star_loss": (fl.sigmoid_focal_star_loss, focalloss.sigmoid_focal_star_loss, fl_star_reference,
                                [{}, dict(alpha=0.25, gamma=2.0, beta=1.0), dict(alpha=0.75, gamma=0.5, beta=-0.5)]),
    "asymmetric_loss": (fl.asymmetric_loss, focalloss.asymmetric_loss, asl_reference,
                        [{}, dict(gamma_pos=0.0, gamma_neg=2.0, margin=0.2),
                         dict(gamma_pos=2.5, gamma_neg=1.5, margin=0.0)]),
    "quality_focal_loss": (fl.quality_focal_loss, focalloss.quality_focal_loss, qfl_reference,
                           [{}, dict(beta=0.0), dict(beta=1.5)]),
    "varifocal_loss": (fl.varifocal_loss, focalloss.varifocal_loss, vfl_reference,
                       [{}, dict(alpha=0.5, gamma=1.5, iou_weighted=False), dict(alpha=1.0, gamma=0.5)]),
}
FAMILY_NAMES = list(FAMILY)
FAMILY_CASES = [(name, i) for name in FAMILY for i in range(3)]


def _family_data(shape, dtype=np.float64, soft=True, seed=0):
    """Logits and targets in [0, 1]: hard (30% positive) or soft with a third exact 0 (VFL's
    negatives) and a tenth exact 1."""
    rng = _rng(seed)
    x = rng.normal(scale=3.0, size=shape)
    if soft:
        u = rng.uniform(size=shape)
        t = np.where(u < 0.33, 0.0, np.where(u > 0.9, 1.0, u))
    else:
        t = (rng.uniform(size=shape) < 0.3).astype(np.float64)
    return jnp.asarray(x.astype(dtype)), jnp.asarray(t.astype(dtype))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("name, case", FAMILY_CASES)
def test_family_matches_reference(x64, name, case, soft, reduction):
    function, _, reference, parameter_sets = FAMILY[name]
    parameters = parameter_sets[case]
    x, t = _family_data((6, 4, 3), soft=soft, seed=case + 10 * soft)
    w = jnp.asarray(_rng(case).uniform(0, 2, size=(6, 3)))
    ours = jax.jit(lambda x: function(x, t, reduction=reduction, weights=w, **parameters))
    theirs = lambda x: _reduce(reference(x, t, **parameters) * w[:, None], reduction, x.size, None)  # noqa: E731
    _check_vjp(ours, theirs, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_family_bits_equal_numpy_api(name, dtype):
    function, numpy_function, _, parameter_sets = FAMILY[name]
    with jax.enable_x64(dtype == "float64"):
        x, t = _family_data((5, 4), dtype=_np_dtype(dtype), seed=1)
        w = jnp.asarray(_rng(2).uniform(0, 2, size=(5, 4)).astype(_np_dtype(dtype)))
        for reduction, options in (("none", dict(weights=w)), ("mean", dict(normalizer=2.5)),
                                   ("sum", dict(precision="fast", num_threads=1))):
            kwargs = dict(parameter_sets[1], reduction=reduction, **options)
            numpy_kwargs = dict(kwargs, weights=None if "weights" not in options else np.asarray(w))
            expected, expected_grad = numpy_function(np.asarray(x), np.asarray(t), return_grad=True, **numpy_kwargs)
            loss, pullback = jax.vjp(jax.jit(lambda x: function(x, t, **kwargs)), x)
            assert loss.dtype == x.dtype
            _same_bits(loss, expected)
            _same_bits(pullback(jnp.ones(loss.shape, x.dtype))[0], expected_grad)
            _same_bits(function(x, t, **kwargs), expected)   # not jitted, no gradient


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_family_defaults_are_the_numpy_apis(x64, name):
    function, numpy_function, _, _ = FAMILY[name]
    x, t = _family_data((4, 3))
    _same_bits(function(x, t), numpy_function(np.asarray(x), np.asarray(t)))


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_family_vmap_and_normalizer(x64, name):
    """vmap: each example its own call (a loop's results and per-example gradients); a traced
    normalizer counted in the step, and a normalizer array's cotangent -loss / n."""
    function, _, reference, parameter_sets = FAMILY[name]
    parameters = parameter_sets[2]
    x, t = _family_data((3, 5, 2), seed=3)
    one = lambda x, t: function(x, t, reduction="mean", **parameters)  # noqa: E731
    _same_bits(jax.jit(jax.vmap(one))(x, t), jnp.stack([one(x[i], t[i]) for i in range(3)]))
    total = lambda x, t: _weighted_sum(function(x, t, **parameters))  # noqa: E731
    _same_bits(jax.vmap(jax.grad(total))(x, t), jnp.stack([jax.grad(total)(x[i], t[i]) for i in range(3)]))

    @jax.jit
    def step(x, t):
        return jax.value_and_grad(lambda x: function(x, t, reduction="mean", normalizer=jnp.sum(t), **parameters))(x)

    loss, grad = step(x, t)
    expected, expected_grad = jax.value_and_grad(
        lambda x: jnp.sum(reference(x, t, **parameters)) / jnp.sum(t))(x)
    _close(loss, expected)
    _close(grad, expected_grad)
    n = jnp.asarray(4.0)
    ours = jax.grad(lambda x, n: function(x, t, reduction="mean", normalizer=n, **parameters), argnums=(0, 1))(x, n)
    theirs = jax.grad(lambda x, n: jnp.sum(reference(x, t, **parameters)) / n, argnums=(0, 1))(x, n)
    _close(ours[0], theirs[0])
    _close(ours[1], theirs[1])


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_family_data_cotangents_and_second_derivatives(x64, name):
    function = FAMILY[name][0]
    x, t = _family_data((4, 3))
    w = jnp.ones((4, 3))
    loss = lambda x, t, w: function(x, t, reduction="sum", weights=w)  # noqa: E731
    for argnums, what in ((1, "targets"), (2, "weights")):
        with pytest.raises(TypeError, match="%s is being differentiated" % what):
            jax.grad(loss, argnums=argnums)(x, t, w)
    with pytest.raises(ValueError, match="Pure callbacks do not support JVP"):
        jax.hessian(lambda x: loss(x, t, w))(x)


FAMILY_BAD = [("sigmoid_focal_star_loss", dict(gamma=0.0)), ("sigmoid_focal_star_loss", dict(alpha=2.0)),
              ("sigmoid_focal_star_loss", dict(beta="1")), ("asymmetric_loss", dict(margin=-0.1)),
              ("asymmetric_loss", dict(gamma_pos=float("inf"))), ("quality_focal_loss", dict(beta=-1.0)),
              ("varifocal_loss", dict(alpha=-1.0)), ("varifocal_loss", dict(iou_weighted="yes")),
              ("varifocal_loss", dict(reduction="avg")), ("quality_focal_loss", dict(normalizer=2.0))]


@pytest.mark.parametrize("name, bad", FAMILY_BAD, ids=["%s-%r" % case for case in FAMILY_BAD])
def test_family_bad_static_parameter_is_the_numpy_apis_error(name, bad):
    function, numpy_function, _, _ = FAMILY[name]
    x, t = _family_data((3, 2), dtype=np.float32)
    with pytest.raises((TypeError, ValueError)) as expected:
        numpy_function(np.asarray(x), np.asarray(t), **bad)
    with pytest.raises(expected.type) as ours:
        function(x, t, **bad)
    assert str(ours.value) == str(expected.value)
    with pytest.raises(expected.type) as ours:
        jax.jit(lambda x: function(x, t, **bad))(x)
    assert _first_line(ours.value) == str(expected.value)


def test_family_array_and_traced_errors():
    x, t = _family_data((3, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"targets must have the logits' shape \(3, 2\), got \(2, 3\)"):
        fl.asymmetric_loss(x, t.T)
    with pytest.raises(TypeError, match="targets must have the logits' dtype float32, got float16"):
        fl.varifocal_loss(x, t.astype(jnp.float16))
    with pytest.raises(TypeError, match="gamma_neg must be a static Python value"):
        jax.jit(lambda x, g: fl.asymmetric_loss(x, t, gamma_neg=g))(x, 2.0)
    with pytest.raises(TypeError, match="iou_weighted must be a static Python value"):
        jax.jit(lambda x, w: fl.varifocal_loss(x, t, iou_weighted=w))(x, True)
    with pytest.raises(jax.errors.JaxRuntimeError, match=r"targets\[1\] = 2.0 is outside \[0, 1\]"):
        jax.jit(fl.quality_focal_loss)(x, t.at[0, 1].set(2.0)).block_until_ready()


# ---- Poly-1 ---------------------------------------------------------------------------------------

def poly1_sigmoid_reference(x, t, alpha, gamma, epsilon, reduction="none", normalizer=None, weights=None):
    """optax's focal loss plus epsilon (1 - p_t)^(gamma + 1) per element, then weighted and reduced."""
    one_minus_p_t = jax.nn.sigmoid(x) * (1 - t) + jax.nn.sigmoid(-x) * t
    loss = optax.sigmoid_focal_loss(x, t, alpha=None if alpha in (None, -1) else alpha, gamma=gamma)
    loss = loss + epsilon * one_minus_p_t ** (gamma + 1)
    if weights is not None:
        loss = loss * (weights if weights.shape == x.shape else jnp.expand_dims(weights, 1))
    return _reduce(loss, reduction, x.size, normalizer)


def poly1_softmax_reference(x, y, epsilon, alpha=None, gamma=2.0, reduction="mean", ignore_index=-100,
                            normalizer=None, weights=None):
    """-a_y (1 - p_y)^gamma log p_y + epsilon (1 - p_y)^(gamma + 1) per position, times its weight,
    0 where ignored; the mean's divisor is the focal loss's, sum(w a_y)."""
    classes = x.shape[1]
    kept = y != ignore_index
    label = jnp.where(kept, y, 0)
    focal = softmax_reference(x, y, alpha, gamma, "none", ignore_index, 0.0, None, weights)
    p_y = jnp.take_along_axis(jax.nn.softmax(x, axis=1), label[:, None], axis=1)[:, 0]
    w = jnp.ones(y.shape, x.dtype) if weights is None else weights
    loss = focal + jnp.where(kept, w * epsilon * (1 - p_y) ** (gamma + 1), 0)
    a = jnp.ones(classes, x.dtype) if alpha is None else jnp.asarray(alpha, x.dtype)
    return _reduce(loss, reduction, jnp.sum(jnp.where(kept, w * a[label], 0)), normalizer)


POLY1 = [(0.25, 2.0, 1.0), (None, 2.0, -1 / 3), (0.25, 0.5, 2.0), (None, 0.0, -1.0)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha, gamma, epsilon", POLY1)
def test_poly1_sigmoid_matches_reference(x64, alpha, gamma, epsilon, reduction):
    x, t = _sigmoid_data((5, 4, 3), soft=True, seed=12)
    w = jnp.asarray(_rng(13).uniform(0, 2, size=(5, 3)))
    kwargs = dict(reduction=reduction, weights=w)
    _check_vjp(jax.jit(lambda x: fl.sigmoid_focal_loss(x, t, alpha, gamma, poly1_epsilon=epsilon, **kwargs)),
               lambda x: poly1_sigmoid_reference(x, t, alpha, gamma, epsilon, **kwargs), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha, gamma, epsilon", POLY1)
def test_poly1_softmax_matches_reference(x64, alpha, gamma, epsilon, reduction):
    x, y = _softmax_data((6, 4, 3), seed=14, label_dtype=np.int64)
    w = jnp.asarray(_rng(15).uniform(0, 2, size=(6, 3)))
    class_weights = None if alpha is None else [0.25, 1.0, 2.0, 0.5]
    kwargs = dict(alpha=class_weights, gamma=gamma, reduction=reduction, weights=w)
    _check_vjp(jax.jit(lambda x: fl.softmax_focal_loss(x, y, poly1_epsilon=epsilon, **kwargs)),
               lambda x: poly1_softmax_reference(x, y, epsilon, **kwargs), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_poly1_bits_equal_numpy_api(dtype):
    """poly1_epsilon = 0 is the focal loss bit for bit; any epsilon is the numpy API's call bit for
    bit, loss and gradient, jitted or not."""
    with jax.enable_x64(dtype == "float64"):
        x, t = _sigmoid_data((5, 4), dtype=_np_dtype(dtype), seed=16)
        xs, ys = _softmax_data((5, 4), dtype=_np_dtype(dtype), seed=17, ignored=1)
        calls = [(fl.sigmoid_focal_loss, focalloss.sigmoid_focal_loss, x, t, "none"),
                 (fl.softmax_focal_loss, focalloss.softmax_focal_loss, xs, ys, "mean")]
        for function, numpy_function, logits, data, reduction in calls:
            results = []
            for epsilon in (None, 0.0, 0, 0.75):
                extra = {} if epsilon is None else dict(poly1_epsilon=epsilon)
                expected, expected_grad = numpy_function(np.asarray(logits), np.asarray(data), reduction=reduction,
                                                         return_grad=True, **extra)
                loss, pullback = jax.vjp(jax.jit(lambda x: function(x, data, reduction=reduction, **extra)), logits)
                grad = pullback(jnp.ones(loss.shape, loss.dtype))[0]
                _same_bits(loss, expected)
                _same_bits(grad, expected_grad)
                _same_bits(function(logits, data, reduction=reduction, **extra), expected)
                results.append((np.asarray(loss).tobytes(), np.asarray(grad).tobytes()))
            assert results[0] == results[1] == results[2] != results[3]


def test_poly1_vmap_and_traced_epsilon(x64):
    x, t = _sigmoid_data((3, 4, 2), seed=18)
    one = lambda x, t: fl.sigmoid_focal_loss(x, t, reduction="sum", poly1_epsilon=0.5)  # noqa: E731
    _same_bits(jax.vmap(one)(x, t), jnp.stack([one(x[i], t[i]) for i in range(3)]))
    _same_bits(jax.vmap(jax.grad(one))(x, t), jnp.stack([jax.grad(one)(x[i], t[i]) for i in range(3)]))
    with pytest.raises(TypeError, match="poly1_epsilon must be a static Python value"):
        jax.jit(lambda x, e: fl.sigmoid_focal_loss(x, t, poly1_epsilon=e))(x, 0.5)
