"""focalloss for JAX: the focal losses as ``jax.custom_vjp`` functions over the library.

    import focalloss.jax as fl
    loss = fl.sigmoid_focal_loss(logits, targets, reduction="sum", normalizer=num_positives)
    loss = fl.softmax_focal_loss(logits, labels, gamma=2.0, ignore_index=255)
    grads = jax.grad(lambda x: fl.softmax_focal_loss(x, labels))(logits)
    loss = fl.asymmetric_loss(logits, targets, reduction="sum")    # and FL*, QFL, VFL, Poly-1

The arguments and results are those of the numpy API (``focalloss.sigmoid_focal_loss``,
``focalloss.softmax_focal_loss`` and the focal family: ``sigmoid_focal_star_loss``,
``asymmetric_loss``, ``quality_focal_loss``, ``varifocal_loss``), on JAX arrays, under
``jax.jit``, ``jax.grad`` and ``jax.vmap``. The forward pass is one ``jax.pure_callback`` into the
library, which returns the loss and its gradient from one fused pass; the gradient (an array of
the logits' shape and dtype) is kept as the residual, and the backward pass multiplies it by the
upstream cotangent (in jnp: no second call). Outside ``jax.grad`` the library computes the loss
alone.

The callback runs on the host, in the library, on CPU: on another backend JAX copies the inputs
to the host and the results back. Each call costs the library's time plus JAX's callback overhead
(about 0.1 ms): see docs/jax.md.

Cotangents (what ``jax.grad`` and ``jax.vjp`` give for each argument):

- ``logits``: the library's gradient times the upstream cotangent (exact, fused).
- ``targets`` (sigmoid and the family) and ``weights``: data. When they do not depend on what is differentiated
  (the usual case) their cotangent is zero; when they do (soft targets computed from the
  parameters, say), the call raises a TypeError rather than return a wrong zero: hold them
  constant with ``jax.lax.stop_gradient``.
- ``labels`` (softmax, integer): ``float0`` zeros, as JAX gives for every integer input (with
  ``jax.grad(..., allow_int=True)``; without it JAX refuses integer inputs).
- ``normalizer`` given as an array: ``-loss / normalizer`` times the cotangent for a float array
  (the mean's divisor is differentiable), ``float0`` for an integer one.
- Static parameters (alpha, gamma, poly1_epsilon, the family's own parameters, reduction,
  ignore_index, label_smoothing, a Python-number normalizer, num_threads, precision) are Python
  values: they have no cotangent, and a traced value in their place is a TypeError.

Forward-mode differentiation (``jax.jvp``, ``jax.jacfwd``) and second derivatives are not
available: JAX raises a TypeError for the first (a ``custom_vjp`` function has no JVP) and an
error for the second (the callback has no derivative), never a wrong value.

Importing this module imports jax; ``import focalloss`` does not.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any, Callable, Dict, NamedTuple, Optional, Sequence, Tuple, Union

import jax
import jax.numpy as jnp
import numpy as np

import focalloss as _focalloss

__all__ = ["sigmoid_focal_loss", "softmax_focal_loss", "sigmoid_focal_star_loss", "asymmetric_loss",
           "quality_focal_loss", "varifocal_loss"]

#: What the functions take as arrays, and as a normalizer.
_Array = Union[jax.Array, np.ndarray]
_Normalizer = Union[None, float, int, jax.Array, np.ndarray]
_INT_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


# ---- Arguments ----------------------------------------------------------------------------------

def _array(name: str, value: Any) -> jax.Array:
    """A JAX array (a tracer under a transformation) or a numpy array, as a JAX array (numpy
    arrays convert as JAX converts them: float64 stays float64 only with jax_enable_x64)."""
    if isinstance(value, jax.Array):
        return value
    if isinstance(value, np.ndarray):
        return jnp.asarray(value)
    raise TypeError("%s must be a jax.Array or numpy.ndarray, got %s" % (name, type(value).__name__))


def _static(name: str, value: Any) -> Any:
    """A static parameter: any traced value is refused here, with the reason."""
    if isinstance(value, jax.core.Tracer):
        raise TypeError("%s must be a static Python value (a number, a str, None), not a traced JAX value: pass it "
                        "as a Python constant, or mark it static in jax.jit (static_argnames)" % name)
    return value


def _normalizer(value: Any) -> Tuple[Optional[float], Optional[jax.Array]]:
    """(static normalizer, dynamic normalizer): a Python number is static and used as is, in
    double, as the numpy API uses it; a 0-d array (a traced count of positives, say) goes to the
    callback, which reads its value on the host."""
    if value is None:
        return None, None
    if isinstance(value, (jax.Array, np.ndarray)):
        normalizer = _array("normalizer", value)
        if normalizer.shape != ():
            raise ValueError("normalizer must be a number or a 0-d array, got shape %s" % (normalizer.shape,))
        kind = np.dtype(normalizer.dtype).kind
        if kind not in "fiu":
            raise TypeError("normalizer must be a real number or a 0-d float or integer array, got dtype %s"
                            % normalizer.dtype)
        return None, normalizer
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError("normalizer must be a real number or a 0-d array, got %s" % type(value).__name__)
    return float(value), None


def _canonical_int(value: Optional[int]) -> Optional[int]:
    return None if value is None else int(value)


class _SigmoidConfig(NamedTuple):
    """The static parameters of one sigmoid operator, canonical (floats, ints, strs), hashable."""
    alpha: Optional[float]
    gamma: float
    poly1_epsilon: float
    reduction: str
    normalizer: Optional[float]
    dynamic_normalizer: bool
    num_threads: Optional[int]
    precision: str


class _SoftmaxConfig(NamedTuple):
    """The static parameters of one softmax operator, canonical and hashable."""
    alpha: Optional[Tuple[float, ...]]
    gamma: float
    poly1_epsilon: float
    reduction: str
    ignore_index: int
    label_smoothing: float
    normalizer: Optional[float]
    dynamic_normalizer: bool
    num_threads: Optional[int]
    precision: str


class _FamilyConfig(NamedTuple):
    """The static parameters of one operator of the focal family, canonical and hashable: `loss`
    names the numpy API's function, `parameters` are its own positional parameters (after the
    targets) and `keywords` its own keyword-only ones, as (name, value) pairs."""
    loss: str
    parameters: Tuple[Optional[float], ...]
    keywords: Tuple[Tuple[str, bool], ...]
    reduction: str
    normalizer: Optional[float]
    dynamic_normalizer: bool
    num_threads: Optional[int]
    precision: str


# ---- The operators ------------------------------------------------------------------------------

def _host(array: Any) -> Any:
    """A callback argument as the numpy array the numpy API takes (jax passes CPU jax arrays, read
    through their buffer; a bfloat16 one becomes an ml_dtypes.bfloat16 array)."""
    return None if array is None else np.asarray(array)


def _host_normalizer(config: Any, normalizer: Any) -> Optional[float]:
    return float(np.asarray(normalizer)) if config.dynamic_normalizer else config.normalizer


#: custom_vjp's symbolic-zero types (the forward rule learns which inputs are differentiated).
_CustomVJPPrimal: Any = jax.custom_derivatives.CustomVJPPrimal
_SymbolicZero: Any = jax.custom_derivatives.SymbolicZero

#: jax.ShapeDtypeStruct, whose constructor jax leaves unannotated.
_ShapeDtype: Callable[..., Any] = jax.ShapeDtypeStruct


def _results(loss_shape: Tuple[int, ...], logits: jax.Array, with_grad: bool) -> Any:
    """What the callback returns: the loss (of `loss_shape`), then the gradient with `with_grad`."""
    loss = _ShapeDtype(loss_shape, logits.dtype)
    return (loss, _ShapeDtype(logits.shape, logits.dtype)) if with_grad else loss


def _host_results(result: Any, dtype: np.dtype, with_grad: bool) -> Any:
    """The numpy API's result as the callback returns it: a reduced loss (a numpy scalar) as a 0-d
    array of the logits' dtype."""
    if with_grad:
        loss, grad = result
        return np.asarray(loss, dtype), grad
    return np.asarray(result, dtype)


def _normalizer_cotangent(normalizer: Optional[jax.Array], loss: Optional[jax.Array], g: jax.Array) -> Any:
    """d(sum / n)/dn = -loss / n for a float array n; float0 zeros for an integer one."""
    if normalizer is None:
        return None
    if not jnp.issubdtype(normalizer.dtype, jnp.floating):
        return np.zeros(normalizer.shape, jax.dtypes.float0)
    assert loss is not None
    return (-(g * loss) / normalizer.astype(loss.dtype)).astype(normalizer.dtype)


def _primals(*arguments: Any) -> Tuple[Any, ...]:
    """The values of the forward rule's arguments (custom_vjp's symbolic_zeros hands it
    CustomVJPPrimal objects), after refusing a float data argument that is being differentiated:
    its derivative is not computed, and a zero cotangent would be a wrong answer. Each argument is
    (name, primal, data): data arguments are the targets and the weights."""
    values = []
    for name, primal, data in arguments:
        value, perturbed = ((primal.value, primal.perturbed) if isinstance(primal, _CustomVJPPrimal)
                            else (primal, False))
        if data and perturbed and value is not None and not jnp.issubdtype(value.dtype, jnp.integer):
            raise TypeError("focalloss.jax differentiates with respect to the logits (and an array normalizer) "
                            "only; %s is being differentiated: hold it constant with jax.lax.stop_gradient" % name)
        values.append(value)
    return tuple(values)


def _upstream(g: Any, loss_shape: Tuple[int, ...], dtype: Any) -> jax.Array:
    """The loss's cotangent, a symbolic zero instantiated."""
    if isinstance(g, _SymbolicZero):
        return jnp.zeros(loss_shape, dtype)
    return g  # type: ignore[no-any-return]


def _zero_cotangent(array: Optional[jax.Array]) -> Any:
    """The cotangent of a data input: zeros (float0 zeros for integers), None for None."""
    if array is None:
        return None
    if jnp.issubdtype(array.dtype, jnp.integer):
        return np.zeros(array.shape, jax.dtypes.float0)
    return jnp.zeros_like(array)


def _operator(config: Any, library: Callable[..., Any], data_name: str, class_axis: bool) -> Callable[..., jax.Array]:
    """The custom_vjp function of one configuration: operator(logits, data, weights, normalizer),
    data the targets (sigmoid) or labels (softmax). `library(logits, data, weights, normalizer,
    return_grad)` is the numpy API's call with the configuration's static parameters; the loss of
    "none" has the logits' shape, or the data's with class_axis (the softmax's one loss per
    position, whose cotangent is broadcast over the class axis 1)."""

    def host(with_grad: bool) -> Callable[..., Any]:
        def call(logits: Any, data: Any, weights: Any, normalizer: Any) -> Any:
            logits = _host(logits)
            result = library(logits, _host(data), _host(weights), _host_normalizer(config, normalizer), with_grad)
            return _host_results(result, logits.dtype, with_grad)
        return call

    def loss_shape(logits: Any, data: Any) -> Tuple[int, ...]:
        if config.reduction != "none":
            return ()
        return tuple(data.shape if class_axis else logits.shape)

    def run(logits: jax.Array, data: jax.Array, weights: Optional[jax.Array], normalizer: Optional[jax.Array],
            with_grad: bool) -> Any:
        return jax.pure_callback(host(with_grad), _results(loss_shape(logits, data), logits, with_grad), logits, data,
                                 weights, normalizer, vmap_method="sequential")

    @jax.custom_vjp
    def operator(logits: jax.Array, data: jax.Array, weights: Optional[jax.Array],
                 normalizer: Optional[jax.Array]) -> jax.Array:
        return run(logits, data, weights, normalizer, False)  # type: ignore[no-any-return]

    def forward(logits: Any, data: Any, weights: Any, normalizer: Any) -> Tuple[jax.Array, Any]:
        logits, data, weights, normalizer = _primals(("logits", logits, False), (data_name, data, True),
                                                   ("weights", weights, True), ("normalizer", normalizer, False))
        loss, grad = run(logits, data, weights, normalizer, True)
        kept_loss = loss if normalizer is not None else None
        return loss, (grad, kept_loss, data, weights, normalizer)

    def backward(residuals: Any, g: jax.Array) -> Tuple[Any, ...]:
        grad, loss, data, weights, normalizer = residuals
        g = _upstream(g, loss_shape(grad, data), grad.dtype)
        # "none": one loss per element (sigmoid) or per position (softmax), depending on its own
        # logit or its position's C logits only: elementwise, or broadcast over the class axis.
        upstream = jnp.expand_dims(g, 1) if class_axis and g.ndim > 0 else g
        return (upstream * grad, _zero_cotangent(data), _zero_cotangent(weights),
                _normalizer_cotangent(normalizer, loss, g))

    operator.defvjp(forward, backward, symbolic_zeros=True)
    return operator


# One custom_vjp function per configuration, cached, so that jax.jit sees the same function (and
# reuses its compilation) every time the same static parameters come back. Bounded: a schedule
# that changes gamma every step makes a new operator (and a new compilation) each time anyway.
@functools.lru_cache(maxsize=256)
def _sigmoid_operator(config: _SigmoidConfig) -> Callable[..., jax.Array]:
    def library(logits: Any, targets: Any, weights: Any, normalizer: Optional[float], with_grad: bool) -> Any:
        return _focalloss.sigmoid_focal_loss(
            logits, targets, config.alpha, config.gamma, config.reduction, normalizer=normalizer,
            return_grad=with_grad, num_threads=config.num_threads, precision=config.precision, weights=weights,
            poly1_epsilon=config.poly1_epsilon)
    return _operator(config, library, "targets", class_axis=False)


@functools.lru_cache(maxsize=256)
def _softmax_operator(config: _SoftmaxConfig) -> Callable[..., jax.Array]:
    def library(logits: Any, labels: Any, weights: Any, normalizer: Optional[float], with_grad: bool) -> Any:
        return _focalloss.softmax_focal_loss(
            logits, labels, config.alpha, config.gamma, config.reduction, ignore_index=config.ignore_index,
            label_smoothing=config.label_smoothing, normalizer=normalizer, return_grad=with_grad,
            num_threads=config.num_threads, precision=config.precision, weights=weights,
            poly1_epsilon=config.poly1_epsilon)
    return _operator(config, library, "labels", class_axis=True)


@functools.lru_cache(maxsize=256)
def _family_operator(config: _FamilyConfig) -> Callable[..., jax.Array]:
    function = getattr(_focalloss, config.loss)

    def library(logits: Any, targets: Any, weights: Any, normalizer: Optional[float], with_grad: bool) -> Any:
        return function(logits, targets, *config.parameters, config.reduction, normalizer=normalizer,
                        return_grad=with_grad, num_threads=config.num_threads, precision=config.precision,
                        weights=weights, **dict(config.keywords))
    return _operator(config, library, "targets", class_axis=False)


# ---- Validation ---------------------------------------------------------------------------------
# The numpy API checks dtypes and every static parameter; calling it on one-element stand-ins of
# the arrays' dtypes (a few microseconds, at trace time) raises its errors, word for word, before
# anything is traced. The shapes are checked here, with its messages. What only the data can show
# (a target outside [0, 1], a label out of range, a negative weight, a normalizer <= 0 given as an
# array) the library finds on the host when the computation runs: see the functions' Raises.

def _stand_in(array: jax.Array, shape: Tuple[int, ...]) -> np.ndarray:
    """Zeros of the array's dtype, of a shape the numpy API accepts with the others'."""
    return np.zeros(shape, np.dtype(array.dtype))


def _weights_stand_in(weights: Optional[jax.Array]) -> Optional[np.ndarray]:
    return None if weights is None else _stand_in(weights, (1,))


def _check_dense(function: Callable[..., Any], logits: jax.Array, targets: jax.Array, weights: Optional[jax.Array],
                 parameters: Tuple[Any, ...], keywords: Dict[str, Any], reduction: Any, normalizer: Optional[float],
                 dynamic_normalizer: bool, num_threads: Any, precision: Any) -> None:
    """The checks of a loss with dense targets (the sigmoid focal loss and the family): `function`
    is its numpy API function, `parameters` and `keywords` its own parameters as given."""
    function(_stand_in(logits, (1,)), _stand_in(targets, (1,)), *parameters, reduction,
             normalizer=1.0 if dynamic_normalizer else normalizer, num_threads=num_threads, precision=precision,
             weights=_weights_stand_in(weights), **keywords)
    if targets.shape != logits.shape:
        raise ValueError("targets must have the logits' shape %s, got %s" % (logits.shape, targets.shape))
    if weights is not None:
        shapes = [(logits.shape, "the logits' shape")]
        if logits.ndim >= 2:
            shapes.append((logits.shape[:1] + logits.shape[2:], "the positions' shape"))
        if weights.shape not in [shape for shape, _ in shapes]:
            raise ValueError("weights must have %s, got %s"
                             % (" or ".join("%s %s" % (what, shape) for shape, what in shapes), weights.shape))


def _check_softmax(logits: jax.Array, labels: jax.Array, weights: Optional[jax.Array], alpha: Any, gamma: Any,
                   poly1_epsilon: Any, reduction: Any, ignore_index: Any, label_smoothing: Any,
                   normalizer: Optional[float], dynamic_normalizer: bool, num_threads: Any, precision: Any) -> None:
    if logits.ndim < 2:
        raise ValueError("logits must have shape (N, C, ...) with the classes on axis 1, got %s" % (logits.shape,))
    if np.dtype(labels.dtype) not in _INT_DTYPES:
        raise TypeError("labels must have dtype int64 or int32, got %s" % labels.dtype)
    _focalloss.softmax_focal_loss(
        _stand_in(logits, (1, logits.shape[1])), _stand_in(labels, (1,)), alpha, gamma, reduction,
        ignore_index=ignore_index, label_smoothing=label_smoothing,
        normalizer=1.0 if dynamic_normalizer else normalizer, num_threads=num_threads, precision=precision,
        weights=_weights_stand_in(weights), poly1_epsilon=poly1_epsilon)
    expected = logits.shape[:1] + logits.shape[2:]
    if labels.shape != expected:
        raise ValueError("labels must have shape %s for logits of shape %s, got %s"
                         % (expected, logits.shape, labels.shape))
    if weights is not None and weights.shape != expected:
        raise ValueError("weights must have the labels' shape %s, got %s" % (expected, weights.shape))


# ---- The functions ------------------------------------------------------------------------------

def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = 0.25, gamma: float = 2.0,
                       reduction: str = "none", *, normalizer: _Normalizer = None, weights: Optional[_Array] = None,
                       num_threads: Optional[int] = None, precision: str = "exact",
                       poly1_epsilon: float = 0.0) -> jax.Array:
    """Sigmoid focal loss (binary and multi-label), as ``torchvision.ops.sigmoid_focal_loss``, on
    JAX arrays, differentiable with respect to the logits.

    ``focalloss.sigmoid_focal_loss`` (the numpy API) as a ``jax.custom_vjp`` function: per element,
    ``alpha_t * BCEWithLogits(x, t) * (1 - p_t) ** gamma``. Unlike ``optax.sigmoid_focal_loss``
    (alpha None and no reduction by default), the defaults are torchvision's: alpha 0.25, gamma 2,
    reduction "none". Works under ``jax.jit``, ``jax.grad`` and ``jax.vmap`` (which calls the
    library once per batch element, each reducing its own slice). The library runs on the host,
    through ``jax.pure_callback``.

    Args:
        logits: jax (or numpy) array of float16, bfloat16, float32 or float64 (float64 needs
            ``jax_enable_x64``), any shape.
        targets: array of the logits' shape and dtype, values in [0, 1]. Data: differentiating
            it raises (see the module's docstring).
        alpha: weight of the positives in [0, 1]; None or -1 disables weighting. Static.
        gamma: focusing parameter, any real >= 0. Static.
        reduction: "none" (one loss per element, default), "sum" or "mean" (sum / element count).
            Static.
        normalizer: only with reduction="mean", the divisor instead of the element count: a
            positive Python number (static), or a 0-d float or integer array, traced or not (a
            count of positives computed in the step). A float array's cotangent is
            ``-loss / normalizer`` times the upstream one.
        weights: None, or an array of the logits' dtype, each finite and >= 0, of the logits'
            shape (per element) or, for logits of 2 or more dimensions, of shape (N, d1, ..., dk)
            (per position, the same for every class on axis 1). Data, as targets.
        num_threads: None or 0 for the library default, 1 for the calling thread. Static.
        precision: "exact" (default) or "fast", as in the numpy API. Static.
        poly1_epsilon: the Poly-1 coefficient (Leng et al., ICLR 2022): adds
            ``poly1_epsilon * (1 - p_t) ** (gamma + 1)`` per element (alpha weighs the focal term
            only); finite and >= -1 / (gamma + 1). 0 (default) is the focal loss, bit for bit.
            Static.

    Returns:
        The loss, of the logits' dtype: an array of the logits' shape for "none", a 0-d array
        otherwise. Its gradient with respect to the logits is the library's, bit for bit (times
        the upstream cotangent).

    Raises:
        TypeError: an argument of the wrong type (a traced value for a static parameter
            included), or an array of the wrong dtype (nothing is converted).
        ValueError: a wrong shape, an unknown reduction or precision, or a static value out of
            range, with the numpy API's message, when the function is called (traced).
        jax.errors.JaxRuntimeError: a value only the data shows (a target outside [0, 1], a
            weight negative, NaN or infinite, a normalizer array <= 0), found by the library when
            the computation runs; its message holds the library's ValueError.
    """
    logits, targets, weights, static_normalizer, dynamic_normalizer = _dense_arguments(
        _focalloss.sigmoid_focal_loss, logits, targets, (("alpha", alpha), ("gamma", gamma)),
        (("poly1_epsilon", poly1_epsilon),), reduction, normalizer, weights, num_threads, precision)
    config = _SigmoidConfig(None if alpha is None else float(alpha), float(gamma), float(poly1_epsilon),
                            str(reduction), static_normalizer, dynamic_normalizer is not None,
                            _canonical_int(num_threads), str(precision))
    return _sigmoid_operator(config)(logits, targets, weights, dynamic_normalizer)


def _dense_arguments(function: Callable[..., Any], logits: Any, targets: Any, parameters: Tuple[Tuple[str, Any], ...],
                     keywords: Tuple[Tuple[str, Any], ...], reduction: Any, normalizer: Any, weights: Any,
                     num_threads: Any, precision: Any) -> Tuple[jax.Array, jax.Array, Optional[jax.Array],
                                                                Optional[float], Optional[jax.Array]]:
    """The arguments of a loss with dense targets (the sigmoid focal loss and the family), checked
    (`function` is its numpy API function; `parameters` and `keywords`, its own static
    parameters, as (name, value) pairs): (logits, targets, weights, static normalizer, dynamic
    normalizer)."""
    logits = _array("logits", logits)
    targets = _array("targets", targets)
    weights = None if weights is None else _array("weights", weights)
    for name, value in parameters + keywords + (("reduction", reduction), ("num_threads", num_threads),
                                                ("precision", precision)):
        _static(name, value)
    static_normalizer, dynamic_normalizer = _normalizer(normalizer)
    _check_dense(function, logits, targets, weights, tuple(value for _, value in parameters), dict(keywords),
                 reduction, static_normalizer, dynamic_normalizer is not None, num_threads, precision)
    return logits, targets, weights, static_normalizer, dynamic_normalizer


def softmax_focal_loss(logits: _Array, labels: _Array, alpha: Optional[Union[Sequence[float], _Array]] = None,
                       gamma: float = 2.0, reduction: str = "mean", *, ignore_index: int = -100,
                       label_smoothing: float = 0.0, normalizer: _Normalizer = None, weights: Optional[_Array] = None,
                       num_threads: Optional[int] = None, precision: str = "exact",
                       poly1_epsilon: float = 0.0) -> jax.Array:
    """Softmax focal loss (multi-class) on JAX arrays, differentiable with respect to the logits.
    At gamma = 0 it is the cross-entropy (``torch.nn.functional.cross_entropy`` with
    ``weight=alpha``, ``ignore_index``, ``label_smoothing`` and the reduction's semantics).

    ``focalloss.softmax_focal_loss`` (the numpy API) as a ``jax.custom_vjp`` function: with
    ``p = softmax(x)`` over axis 1, class weights ``a_c`` and ``q_c = (1 - eps) [c == y] + eps / C``,
    per label position ``-sum_c a_c q_c (1 - p_c) ** gamma log p_c``, and 0 where the label is
    ``ignore_index``. Works under ``jax.jit``, ``jax.grad`` and ``jax.vmap`` (the library is called
    once per batch element). The library runs on the host, through ``jax.pure_callback``.

    Args:
        logits: jax (or numpy) array of float16, bfloat16, float32 or float64 (float64 needs
            ``jax_enable_x64``) of shape (N, C) or (N, C, d1, ..., dk).
        labels: int32 or int64 class indices of shape (N,) or (N, d1, ..., dk), each in [0, C) or
            equal to ignore_index. Cotangent: float0 zeros.
        alpha: None (every class weighs 1, default) or C class weights, each finite and >= 0: a
            sequence, a numpy array or a concrete JAX array (not a traced one). Static.
        gamma: focusing parameter, any real >= 0. Static.
        reduction: "mean" (default: sum / sum of weight * alpha[y] over the labels not ignored),
            "sum", or "none" (one loss per label position, of the labels' shape). Static.
        ignore_index: labels with this value contribute 0 and leave the mean's divisor. Static.
        label_smoothing: eps in [0, 1]. Static.
        normalizer: only with reduction="mean", the divisor instead of the mean's: a positive
            Python number (static) or a 0-d float or integer array, traced or not. A float
            array's cotangent is ``-loss / normalizer`` times the upstream one.
        weights: None, or an array of the logits' dtype and the labels' shape, each finite and
            >= 0 (a per-position weight; 0 leaves the position out). Data: differentiating it
            raises.
        num_threads: None or 0 for the library default, 1 for the calling thread. Static.
        precision: "exact" (default) or "fast", as in the numpy API. Static.
        poly1_epsilon: the Poly-1 coefficient: adds ``poly1_epsilon * (1 - p_y) ** (gamma + 1)`` per
            label position (alpha weighs the focal term only; the mean's divisor is unchanged);
            finite and >= -1 / (gamma + 1), and only with label_smoothing 0. 0 (default) is the
            focal loss, bit for bit. Static.

    Returns:
        The loss, of the logits' dtype: an array of the labels' shape for "none", a 0-d array
        otherwise. A mean over nothing (every label ignored) is NaN. Its gradient with respect to
        the logits is the library's, bit for bit (times the upstream cotangent, broadcast over
        the class axis for "none").

    Raises:
        TypeError: an argument of the wrong type (a traced value for a static parameter
            included), or an array of the wrong dtype.
        ValueError: a wrong shape, an unknown reduction or precision, a static value out of range,
            with the numpy API's message, when the function is called (traced).
        jax.errors.JaxRuntimeError: a value only the data shows (a label outside [0, C) that is not
            ignore_index, a weight negative, NaN or infinite, a normalizer array <= 0), found by
            the library when the computation runs; its message holds the library's ValueError.
    """
    logits = _array("logits", logits)
    labels = _array("labels", labels)
    weights = None if weights is None else _array("weights", weights)
    for name, value in (("alpha", alpha), ("gamma", gamma), ("poly1_epsilon", poly1_epsilon), ("reduction", reduction),
                        ("ignore_index", ignore_index), ("label_smoothing", label_smoothing),
                        ("num_threads", num_threads), ("precision", precision)):
        _static(name, value)
    static_normalizer, dynamic_normalizer = _normalizer(normalizer)
    _check_softmax(logits, labels, weights, alpha, gamma, poly1_epsilon, reduction, ignore_index, label_smoothing,
                   static_normalizer, dynamic_normalizer is not None, num_threads, precision)
    class_weights = None if alpha is None else tuple(float(a) for a in np.asarray(alpha, np.float64))
    config = _SoftmaxConfig(class_weights, float(gamma), float(poly1_epsilon), str(reduction), int(ignore_index),
                            float(label_smoothing), static_normalizer, dynamic_normalizer is not None,
                            _canonical_int(num_threads), str(precision))
    return _softmax_operator(config)(logits, labels, weights, dynamic_normalizer)


# ---- The focal family ---------------------------------------------------------------------------
#
# FL*, the asymmetric, quality focal and varifocal losses: the numpy API's functions of the same
# names (their formulas, parameters and ranges in their docstrings and docs/math.md), with the
# arguments, checks, cotangents and transformations of sigmoid_focal_loss, through one operator
# per configuration (_family_operator).

_FAMILY_DOC = """
        logits, targets, reduction, normalizer, weights, num_threads, precision: as for
            ``sigmoid_focal_loss``: arrays of float16, bfloat16, float32 or float64, targets of the
            logits' shape and dtype with values in [0, 1]; "mean" divides the sum by the element
            count or the normalizer (a Python number, or a 0-d array, traced or not, whose
            cotangent is ``-loss / normalizer``); targets and weights are data: differentiating
            them raises. The loss's own parameters above are static Python values.

    Returns:
        The loss, of the logits' dtype: an array of the logits' shape for "none", a 0-d array
        otherwise; the numpy API's, bit for bit. Its gradient with respect to the logits is the
        library's, bit for bit (times the upstream cotangent). Works under ``jax.jit``,
        ``jax.grad`` and ``jax.vmap``; the library runs on the host, through ``jax.pure_callback``.

    Raises:
        TypeError: an argument of the wrong type (a traced value for a static parameter
            included), or an array of the wrong dtype.
        ValueError: a wrong shape, an unknown reduction or precision, or a static value out of
            range, with the numpy API's message, when the function is called (traced).
        jax.errors.JaxRuntimeError: a value only the data shows (a target outside [0, 1], a
            weight negative, NaN or infinite, a normalizer array <= 0), found by the library when
            the computation runs; its message holds the library's ValueError."""


def _family(loss: str, logits: Any, targets: Any, parameters: Tuple[Tuple[str, Any], ...],
            keywords: Tuple[Tuple[str, Any], ...], reduction: Any, normalizer: Any, weights: Any, num_threads: Any,
            precision: Any) -> jax.Array:
    logits, targets, weights, static_normalizer, dynamic_normalizer = _dense_arguments(
        getattr(_focalloss, loss), logits, targets, parameters, keywords, reduction, normalizer, weights, num_threads,
        precision)
    config = _FamilyConfig(loss, tuple(None if value is None else float(value) for _, value in parameters),
                           tuple((name, bool(value)) for name, value in keywords), str(reduction), static_normalizer,
                           dynamic_normalizer is not None, _canonical_int(num_threads), str(precision))
    return _family_operator(config)(logits, targets, weights, dynamic_normalizer)


def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = None, gamma: float = 1.0,
                            beta: float = 0.0, reduction: str = "none", *, normalizer: _Normalizer = None,
                            weights: Optional[_Array] = None, num_threads: Optional[int] = None,
                            precision: str = "exact") -> jax.Array:
    """FL* (Lin et al. 2017, appendix A), as ``fvcore.nn.sigmoid_focal_loss_star`` with a shift
    ``beta``, on JAX arrays: per element ``alpha_t * softplus(-(gamma * x_t + beta)) / gamma`` with
    ``x_t = (2t - 1) x``; ``focalloss.sigmoid_focal_star_loss`` as a ``jax.custom_vjp`` function.

    Args:
        alpha: weight of the positives in [0, 1]; None (default) or -1 disables it. Static.
        gamma: finite and > 0. Default 1 (fvcore's). Static.
        beta: the shift, finite. Default 0. Static.
    """
    return _family("sigmoid_focal_star_loss", logits, targets, (("alpha", alpha), ("gamma", gamma), ("beta", beta)),
                   (), reduction, normalizer, weights, num_threads, precision)


def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = 1.0, gamma_neg: float = 4.0,
                    margin: float = 0.05, reduction: str = "none", *, normalizer: _Normalizer = None,
                    weights: Optional[_Array] = None, num_threads: Optional[int] = None,
                    precision: str = "exact") -> jax.Array:
    """The asymmetric loss, ASL (Ridnik et al., ICCV 2021), as timm's ``AsymmetricLossMultiLabel``
    without its eps clamp, on JAX arrays: per element ``-(1 - s) ** gamma_pos * log(s)`` for a
    positive and ``-p_m ** gamma_neg * log(1 - p_m)``, ``p_m = max(s - margin, 0)``, for a negative
    (timm's mixture for a soft target); ``focalloss.asymmetric_loss`` as a ``jax.custom_vjp``
    function. timm sums: reduction="sum".

    Args:
        gamma_pos: focusing of the positives, finite and >= 0. Default 1. Static.
        gamma_neg: focusing of the negatives, finite and >= 0. Default 4. Static.
        margin: the probability margin (timm's ``clip``) in [0, 1]. Default 0.05. Static.
    """
    return _family("asymmetric_loss", logits, targets,
                   (("gamma_pos", gamma_pos), ("gamma_neg", gamma_neg), ("margin", margin)), (), reduction, normalizer,
                   weights, num_threads, precision)


def quality_focal_loss(logits: _Array, targets: _Array, beta: float = 2.0, reduction: str = "none", *,
                       normalizer: _Normalizer = None, weights: Optional[_Array] = None,
                       num_threads: Optional[int] = None, precision: str = "exact") -> jax.Array:
    """The quality focal loss, QFL (Li et al., NeurIPS 2020), as mmdet's ``quality_focal_loss`` on
    dense targets, on JAX arrays: per element ``|y - s| ** beta * BCEWithLogits(x, y)``, ``y`` a
    soft score in [0, 1]; ``focalloss.quality_focal_loss`` as a ``jax.custom_vjp`` function.

    Args:
        beta: the focusing exponent, finite and >= 0. Default 2. Static.
    """
    return _family("quality_focal_loss", logits, targets, (("beta", beta),), (), reduction, normalizer, weights,
                   num_threads, precision)


def varifocal_loss(logits: _Array, targets: _Array, alpha: float = 0.75, gamma: float = 2.0, reduction: str = "none",
                   *, iou_weighted: bool = True, normalizer: _Normalizer = None, weights: Optional[_Array] = None,
                   num_threads: Optional[int] = None, precision: str = "exact") -> jax.Array:
    """The varifocal loss, VFL (Zhang et al., CVPR 2021), as mmdet's ``varifocal_loss`` (whose
    default reduction is "mean"; here "none"), on JAX arrays: per element ``w * BCEWithLogits(x, q)``
    for a target ``q > 0`` (``w = q`` with iou_weighted, else 1) and ``alpha * s ** gamma *
    BCEWithLogits(x, 0)`` for ``q = 0``; ``focalloss.varifocal_loss`` as a ``jax.custom_vjp``
    function.

    Args:
        alpha: weight of the negatives, finite and >= 0. Default 0.75. Static.
        gamma: focusing of the negatives, finite and >= 0. Default 2. Static.
        iou_weighted: True (default) weighs a positive by its target q, False by 1. Static.
    """
    return _family("varifocal_loss", logits, targets, (("alpha", alpha), ("gamma", gamma)),
                   (("iou_weighted", iou_weighted),), reduction, normalizer, weights, num_threads, precision)


for _function in (sigmoid_focal_star_loss, asymmetric_loss, quality_focal_loss, varifocal_loss):
    if _function.__doc__ is not None:  # python -OO strips docstrings
        _function.__doc__ = _function.__doc__.rstrip() + _FAMILY_DOC
del _function
