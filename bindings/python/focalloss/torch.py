"""focalloss for PyTorch: the focal losses as autograd functions on CPU tensors.

    import focalloss.torch as fl
    loss = fl.sigmoid_focal_loss(logits, targets, reduction="mean")      # torchvision's signature
    loss = fl.softmax_focal_loss(logits, labels, gamma=2.0)              # cross_entropy's names
    criterion = fl.FocalLoss(alpha=class_weights, gamma=2.0, ignore_index=255)
    loss = fl.asymmetric_loss(logits, targets, reduction="sum")           # and FL*, QFL, VFL, Poly-1

The forward pass computes the loss and its gradient in one fused pass of the library and keeps the
gradient (one tensor of the logits' shape and dtype) for the backward pass, which multiplies it by
the upstream gradient; ``recompute=True`` keeps nothing and runs the library again in the backward
pass instead; when the backward pass frees the graph the kept gradient becomes the logits'
gradient itself. Under ``torch.compile`` the functions are ``torch.library`` custom operators
(``focalloss::sigmoid_focal_loss``, ``focalloss::softmax_focal_loss``, and
``focalloss::sigmoid_family_loss`` for the focal family: FL*, the asymmetric, quality focal and
varifocal losses) with fake implementations:
``torch.compile(fullgraph=True)`` compiles a model using them without a graph break; eager calls
reach the same implementation and autograd formula through a plain ``torch.autograd.Function``.

CPU tensors only: a tensor on another device is a ValueError naming it (never a silent copy).
float32 and float64 (and float16; bfloat16 when ml_dtypes is installed, which the library's numpy
API uses for it) are read and written without copies when contiguous; a non-contiguous or
broadcast tensor is copied once; under ``torch.autocast`` the losses compute in float32, as
torch's own. The gradient flows to the logits (and to a normalizer tensor): targets, labels,
weights and alpha are data, and asking for their gradient raises (detach them). The second
derivative (double backward) raises too. Importing this module imports torch; ``import
focalloss`` does not.
"""

from __future__ import annotations

import numbers
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

import focalloss as _focalloss
from focalloss import _frontend
from focalloss._frontend import FocalStats

__all__ = ["sigmoid_focal_loss", "sigmoid_focal_loss_from_labels", "softmax_focal_loss", "sigmoid_focal_star_loss",
           "asymmetric_loss", "quality_focal_loss", "varifocal_loss", "SigmoidFocalLoss", "FocalLoss",
           "SigmoidFocalStarLoss", "AsymmetricLoss", "QualityFocalLoss", "VarifocalLoss", "FocalStats"]

_FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
_INT_DTYPES = (torch.int64, torch.int32)
_EMPTY_SHAPE = (0,)

Number = Union[int, float]


# ---- Tensors to and from numpy ------------------------------------------------------------------

def _bfloat16_numpy() -> Any:
    """numpy's bfloat16 dtype (ml_dtypes'), imported on first need."""
    try:
        import ml_dtypes
    except ImportError:
        raise TypeError("bfloat16 tensors need ml_dtypes (pip install ml_dtypes): the library's numpy API "
                        "reads bfloat16 as ml_dtypes.bfloat16") from None
    return np.dtype(ml_dtypes.bfloat16)


def _numpy(tensor: Tensor) -> np.ndarray:
    """The tensor's memory as a numpy array (no copy; strides kept: the numpy API copies a
    non-contiguous array once)."""
    tensor = tensor.detach()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(_bfloat16_numpy())
    return tensor.numpy()


def _optional_numpy(tensor: Optional[Tensor]) -> Optional[np.ndarray]:
    return None if tensor is None else _numpy(tensor)


def _tensor(array: Any, dtype: torch.dtype) -> Tensor:
    """A numpy result as a tensor over the same memory (a numpy scalar becomes a 0-d tensor)."""
    array = np.asarray(array)
    if dtype == torch.bfloat16:
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def _stats_tensor(stats: Optional[FocalStats]) -> Tensor:
    if stats is None:
        return torch.empty(_EMPTY_SHAPE, dtype=torch.float64)
    return torch.tensor([stats.positives, stats.weight_sum, stats.divisor], dtype=torch.float64)


def _normalizer_value(normalizer: Optional[Tensor]) -> Optional[float]:
    return None if normalizer is None else float(normalizer.item())


def _threads(num_threads: int) -> Optional[int]:
    return None if num_threads == 0 else num_threads


# ---- The operators ------------------------------------------------------------------------------
#
# Each operator returns (loss, grad, stats): grad is the gradient of the loss (of its sum for
# "none") with respect to the logits when with_grad, else an empty tensor; stats is the
# FocalStats as a float64 tensor of 3 when with_stats, else empty. The autograd formula keeps
# grad (or, with recompute, the inputs) and multiplies it by the upstream gradient.
#
# One implementation per operator (_sigmoid_impl, _softmax_impl, _family_impl), reached two ways
# with the same autograd formula (_setup_context, _backward): under torch.compile through the
# torch.library custom operators (fake kernels, register_autograd), which the compiler sees as
# opaque calls; in eager mode through _EagerFused, a plain torch.autograd.Function that calls the
# implementation directly: the custom operators' Python dispatch costs about 120 us per forward
# and backward pass, 4 times the rest of a small call (docs/torch.md).

def _sigmoid_impl(inputs: Tensor, targets: Tensor, weights: Optional[Tensor], normalizer: Optional[Tensor],
                alpha: float, gamma: float, poly1_epsilon: float, reduction: str, from_labels: bool, ignore_index: int,
                num_threads: int, precision: str, with_grad: bool, with_stats: bool) -> Tuple[Tensor, Tensor, Tensor]:
    x = _numpy(inputs)
    options: Any = dict(reduction=reduction, normalizer=_normalizer_value(normalizer), return_grad=with_grad,
                   num_threads=_threads(num_threads), precision=precision, weights=_optional_numpy(weights),
                   return_stats=with_stats, poly1_epsilon=poly1_epsilon)
    alpha_value = None if alpha < 0 else alpha
    if from_labels:
        result = _focalloss.sigmoid_focal_loss_from_labels(x, _numpy(targets), alpha_value, gamma,
                                                           ignore_index=ignore_index, **options)
    else:
        result = _focalloss.sigmoid_focal_loss(x, _numpy(targets), alpha_value, gamma, **options)
    return _outputs(result, inputs.dtype, with_grad, with_stats)


_sigmoid_op = torch.library.custom_op("focalloss::sigmoid_focal_loss", _sigmoid_impl, mutates_args=(),
                                      device_types="cpu")


@_sigmoid_op.register_fake
def _sigmoid_fake(inputs: Tensor, targets: Tensor, weights: Optional[Tensor], normalizer: Optional[Tensor],
                  alpha: float, gamma: float, poly1_epsilon: float, reduction: str, from_labels: bool,
                  ignore_index: int, num_threads: int, precision: str, with_grad: bool,
                  with_stats: bool) -> Tuple[Tensor, Tensor, Tensor]:
    return _fake_outputs(inputs, inputs.shape, reduction, with_grad, with_stats)


def _softmax_impl(inputs: Tensor, targets: Tensor, alpha: Optional[Tensor], weights: Optional[Tensor],
                normalizer: Optional[Tensor], gamma: float, poly1_epsilon: float, reduction: str, ignore_index: int,
                label_smoothing: float, num_threads: int, precision: str, with_grad: bool,
                with_stats: bool) -> Tuple[Tensor, Tensor, Tensor]:
    options: Any = dict(ignore_index=ignore_index, label_smoothing=label_smoothing,
                        normalizer=_normalizer_value(normalizer), return_grad=with_grad,
                        num_threads=_threads(num_threads), precision=precision, weights=_optional_numpy(weights),
                        return_stats=with_stats, poly1_epsilon=poly1_epsilon)
    result = _focalloss.softmax_focal_loss(_numpy(inputs), _numpy(targets), _optional_numpy(alpha), gamma, reduction,
                                           **options)
    return _outputs(result, inputs.dtype, with_grad, with_stats)


_softmax_op = torch.library.custom_op("focalloss::softmax_focal_loss", _softmax_impl, mutates_args=(),
                                      device_types="cpu")


@_softmax_op.register_fake
def _softmax_fake(inputs: Tensor, targets: Tensor, alpha: Optional[Tensor], weights: Optional[Tensor],
                  normalizer: Optional[Tensor], gamma: float, poly1_epsilon: float, reduction: str, ignore_index: int,
                  label_smoothing: float, num_threads: int, precision: str, with_grad: bool,
                  with_stats: bool) -> Tuple[Tensor, Tensor, Tensor]:
    return _fake_outputs(inputs, targets.shape, reduction, with_grad, with_stats)


# The focal family (FL*, asymmetric, quality focal, varifocal): elementwise in the logits and dense
# targets as the sigmoid focal loss, with the same arguments but their own parameters. One
# operator for the four: `loss` names the numpy API's function and `parameters` holds its own
# parameters as floats, in the order _FAMILY_PARAMETERS gives (alpha -1 is None; a flag is 0 or 1).

#: For each loss of the family: its positional parameters (after targets) and keyword-only flags,
#: in the order of the operator's `parameters`.
_FAMILY_PARAMETERS = {
    "sigmoid_focal_star_loss": (("alpha", "gamma", "beta"), ()),
    "asymmetric_loss": (("gamma_pos", "gamma_neg", "margin"), ()),
    "quality_focal_loss": (("beta",), ()),
    "varifocal_loss": (("alpha", "gamma"), ("iou_weighted",)),
}


def _family_impl(inputs: Tensor, targets: Tensor, weights: Optional[Tensor], normalizer: Optional[Tensor], loss: str,
                 parameters: List[float], reduction: str, num_threads: int, precision: str, with_grad: bool,
                 with_stats: bool) -> Tuple[Tensor, Tensor, Tensor]:
    positional, flags = _FAMILY_PARAMETERS[loss]
    arguments: List[Any] = list(parameters[:len(positional)])
    if loss == "sigmoid_focal_star_loss" and arguments[0] < 0:
        arguments[0] = None
    keywords: Any = {flag: value != 0 for flag, value in zip(flags, parameters[len(positional):])}
    result = getattr(_focalloss, loss)(
        _numpy(inputs), _numpy(targets), *arguments, reduction=reduction, normalizer=_normalizer_value(normalizer),
        return_grad=with_grad, num_threads=_threads(num_threads), precision=precision,
        weights=_optional_numpy(weights), return_stats=with_stats, **keywords)
    return _outputs(result, inputs.dtype, with_grad, with_stats)


_family_op = torch.library.custom_op("focalloss::sigmoid_family_loss", _family_impl, mutates_args=(),
                                     device_types="cpu")


@_family_op.register_fake
def _family_fake(inputs: Tensor, targets: Tensor, weights: Optional[Tensor], normalizer: Optional[Tensor], loss: str,
                 parameters: List[float], reduction: str, num_threads: int, precision: str, with_grad: bool,
                 with_stats: bool) -> Tuple[Tensor, Tensor, Tensor]:
    return _fake_outputs(inputs, inputs.shape, reduction, with_grad, with_stats)


def _outputs(result: Any, dtype: torch.dtype, with_grad: bool, with_stats: bool) -> Tuple[Tensor, Tensor, Tensor]:
    """(loss, grad, stats) tensors from the numpy API's result."""
    if not isinstance(result, tuple):
        result = (result,)
    loss = _tensor(result[0], dtype)
    grad = _tensor(result[1], dtype) if with_grad else torch.empty(_EMPTY_SHAPE, dtype=dtype)
    stats = _stats_tensor(result[-1] if with_stats else None)
    return loss, grad, stats


def _fake_outputs(inputs: Tensor, unreduced_shape: Any, reduction: str, with_grad: bool,
                  with_stats: bool) -> Tuple[Tensor, Tensor, Tensor]:
    loss = inputs.new_empty(unreduced_shape if reduction == "none" else ())
    grad = inputs.new_empty(inputs.shape if with_grad else _EMPTY_SHAPE)
    stats = inputs.new_empty((3,) if with_stats else _EMPTY_SHAPE, dtype=torch.float64)
    return loss, grad, stats


def _apply_grad_impl(upstream: Tensor, grad: Tensor, logits: Tensor, class_axis: bool) -> Tensor:
    """upstream * grad: the chain rule for a loss whose gradient the forward pass computed.
    upstream is a scalar (reduced loss) or has the unreduced loss's shape; with class_axis it
    lacks grad's axis 1 (the softmax's per-position loss) and is broadcast over it. The logits
    are not read: they make the result depend on them in the autograd graph, so that a second
    derivative reaches this operator's formula, which raises, instead of treating the gradient
    as a constant."""
    if class_axis and upstream.dim() > 0:
        upstream = upstream.unsqueeze(1)
    return upstream * grad


_apply_grad = torch.library.custom_op("focalloss::apply_grad", _apply_grad_impl, mutates_args=(),
                                      device_types="cpu")


@_apply_grad.register_fake
def _apply_grad_fake(upstream: Tensor, grad: Tensor, logits: Tensor, class_axis: bool) -> Tensor:
    return torch.empty_like(grad)


def _apply_grad_backward(ctx: Any, _: Any) -> Any:
    raise RuntimeError("focalloss.torch: the second derivative (double backward) of the focal losses is not "
                       "implemented; their first derivative is exact")


torch.library.register_autograd("focalloss::apply_grad", _apply_grad_backward)


# ---- Autograd ----------------------------------------------------------------------------------
#
# The wrappers below pass with_grad = True when the logits need a gradient and recompute is off;
# with_grad = False then means either that nothing needs the logits' gradient (the backward pass
# is only reached for a data argument, and raises) or recompute: the backward pass calls the
# operator again with with_grad = True on the saved inputs.

class _Spec(NamedTuple):
    """An operator and where its arguments are: the first tensor_count are tensors (the logits
    first, the normalizer last), argument with_grad_index is with_grad and the last is
    with_stats; data_arguments names the tensors that are data (their gradient is refused)."""
    impl: Any
    op: Any
    tensor_count: int
    with_grad_index: int
    data_arguments: Tuple[Tuple[int, str], ...]
    class_axis: bool


def _setup_context(spec: _Spec, ctx: Any, inputs: Tuple[Any, ...], output: Tuple[Tensor, Tensor, Tensor]) -> None:
    loss, grad, stats = output
    ctx.mark_non_differentiable(grad, stats)
    # The gradient and statistics outputs get no gradient: None, not tensors of zeros.
    ctx.set_materialize_grads(False)
    ctx.recompute = not inputs[spec.with_grad_index]
    normalizer = inputs[spec.tensor_count - 1]
    kept_loss = loss if normalizer is not None else None  # a 0-d mean: for the normalizer's gradient
    if ctx.recompute:
        ctx.save_for_backward(*inputs[:spec.tensor_count], kept_loss)
        ctx.arguments = list(inputs[spec.tensor_count:])
    else:
        ctx.save_for_backward(grad, inputs[0], normalizer, kept_loss)


def _backward(spec: _Spec, ctx: Any, needs_input_grad: Sequence[bool], grad_loss: Optional[Tensor],
              compiled: bool) -> Tuple[Optional[Tensor], ...]:
    """The gradients of the operator's arguments: the logits' (the kept gradient times the upstream
    one) and a normalizer tensor's (the mean is sum / n: -loss / n times the upstream gradient);
    every other argument is data, whose gradient is refused."""
    gradients: List[Optional[Tensor]] = [None] * len(needs_input_grad)
    if grad_loss is None:  # the loss itself got no gradient (materialize_grads is off)
        return tuple(gradients)
    for index, argument in spec.data_arguments:
        if needs_input_grad[index]:
            raise RuntimeError("focalloss.torch differentiates with respect to the logits (and a normalizer "
                               "tensor) only; %s requires grad (detach it)" % argument)
    saved = ctx.saved_tensors
    normalizer_index = spec.tensor_count - 1
    if needs_input_grad[normalizer_index]:
        normalizer, loss = saved[normalizer_index if ctx.recompute else 2], saved[-1]
        gradients[normalizer_index] = -(grad_loss * loss) / normalizer
    if needs_input_grad[0]:
        if ctx.recompute:
            arguments = list(ctx.arguments)
            arguments[spec.with_grad_index - spec.tensor_count] = True
            arguments[-1] = False
            logits = saved[0]
            _, grad, _ = (spec.op if compiled else spec.impl)(*saved[:spec.tensor_count], *arguments)
        else:
            grad, logits = saved[0], saved[1]
        gradients[0] = _logits_gradient(spec, grad_loss, grad, logits, compiled)
    return tuple(gradients)


def _logits_gradient(spec: _Spec, grad_loss: Tensor, grad: Tensor, logits: Tensor, compiled: bool) -> Tensor:
    """grad times the upstream gradient. focalloss::apply_grad, whose own derivative raises, when
    a graph is being built for a second derivative (create_graph); a plain multiplication
    otherwise (under torch.compile the compiler fuses it, and its compiled backward refuses a
    second derivative itself)."""
    if torch.is_grad_enabled():
        return _apply_grad(grad_loss, grad, logits, spec.class_axis)  # type: ignore[no-any-return]
    if not compiled and not _keep_graph():
        # Eager, and this graph is freed after this pass: the gradient buffer is this call's own
        # (kept or just recomputed) and nothing reads it again, so it becomes the logits' gradient
        # as it is (upstream 1, the usual loss.backward()) or scaled in place, without a new
        # tensor of the logits' size.
        if grad_loss.dim() == 0:
            return grad if grad_loss.item() == 1.0 else grad.mul_(grad_loss)
        return grad.mul_(grad_loss.unsqueeze(1) if spec.class_axis else grad_loss)
    return _apply_grad_impl(grad_loss, grad, logits, spec.class_axis)


def _keep_graph() -> bool:
    """Whether the running backward pass keeps the graph (retain_graph=True): then the kept
    gradient is read again by the next pass and must stay as it is. True when torch cannot say."""
    try:
        return bool(torch._C._autograd._get_current_graph_task_keep_graph())
    except (AttributeError, RuntimeError):
        return True


def _register_autograd(name: str, spec: _Spec) -> None:
    def setup_context(ctx: Any, inputs: Tuple[Any, ...], output: Tuple[Tensor, Tensor, Tensor]) -> None:
        _setup_context(spec, ctx, inputs, output)

    def backward(ctx: Any, grad_loss: Optional[Tensor], _grad: Any, _stats: Any) -> Tuple[Optional[Tensor], ...]:
        return _backward(spec, ctx, ctx.needs_input_grad, grad_loss, compiled=True)

    torch.library.register_autograd(name, backward, setup_context=setup_context)


class _EagerFused(torch.autograd.Function):
    """An operator in eager mode: its implementation called directly, with the same autograd
    formula as its custom operator's (forward(ctx, spec, *the operator's arguments))."""

    @staticmethod
    def forward(ctx: Any, spec: _Spec, *inputs: Any) -> Tuple[Tensor, Tensor, Tensor]:
        output: Tuple[Tensor, Tensor, Tensor] = spec.impl(*inputs)
        ctx.spec = spec
        _setup_context(spec, ctx, inputs, output)
        return output

    @staticmethod
    def backward(ctx: Any, grad_loss: Optional[Tensor], _grad: Any, _stats: Any) -> Tuple[Optional[Tensor], ...]:
        return (None,) + _backward(ctx.spec, ctx, ctx.needs_input_grad[1:], grad_loss, compiled=False)


_SIGMOID = _Spec(_sigmoid_impl, _sigmoid_op, 4, 12, ((1, "targets"), (2, "weights")), False)
_SOFTMAX = _Spec(_softmax_impl, _softmax_op, 5, 12, ((1, "target"), (2, "alpha"), (3, "weights")), True)
_FAMILY = _Spec(_family_impl, _family_op, 4, 9, ((1, "targets"), (2, "weights")), False)
_register_autograd("focalloss::sigmoid_focal_loss", _SIGMOID)
_register_autograd("focalloss::softmax_focal_loss", _SOFTMAX)
_register_autograd("focalloss::sigmoid_family_loss", _FAMILY)

#: False sends eager calls through the custom operators too (the tests run both ways).
_EAGER_FAST_PATH = True


def _call(spec: _Spec, *arguments: Any) -> Tuple[Tensor, Tensor, Tensor]:
    """The operator: through its custom operator when compiling, else through _EagerFused."""
    if _EAGER_FAST_PATH and not torch.compiler.is_compiling():
        return _EagerFused.apply(spec, *arguments)  # type: ignore[no-any-return]
    return spec.op(*arguments)  # type: ignore[no-any-return]


# ---- Argument checks (what the operators' schemas cannot say clearly) ---------------------------

def _cpu_tensor(name: str, value: Any) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError("%s must be a torch.Tensor, got %s" % (name, type(value).__name__))
    if value.device.type != "cpu":
        raise ValueError("%s is on device %s; focalloss.torch computes on the CPU only (move it with .cpu(), "
                         "or use a GPU implementation for GPU tensors)" % (name, value.device))
    return value


def _logits(name: str, value: Any) -> Tensor:
    logits = _cpu_tensor(name, value)
    if logits.dtype not in _FLOAT_DTYPES:
        raise TypeError("%s must have dtype float32, float64, float16 or bfloat16, got %s" % (name, logits.dtype))
    return logits


def _optional_tensor(name: str, value: Any) -> Optional[Tensor]:
    return None if value is None else _cpu_tensor(name, value)


def _normalizer(value: Any) -> Optional[Tensor]:
    """None, or the normalizer as a float64 0-d tensor (a number, or a one-element tensor such as
    an all-reduced count of positives; a tensor that requires grad gets d loss / d n = -loss / n)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        _cpu_tensor("normalizer", value)
        if value.numel() != 1:
            raise ValueError("normalizer must be a number or a one-element tensor, got shape %s"
                             % (tuple(value.shape),))
        return value.reshape(()).to(torch.float64)
    return torch.tensor(_frontend._real("normalizer", value), dtype=torch.float64)


def _options(reduction: Any, num_threads: Any, precision: Any, return_stats: Any, recompute: Any) -> \
        Tuple[str, int, str, bool, bool]:
    _frontend._reduction(reduction)  # the numpy API's checks and messages
    _frontend._precision(precision)
    return (str(reduction), _frontend._threads(num_threads), str(precision),
            _frontend._flag("return_stats", return_stats), _frontend._flag("recompute", recompute))


def _autocast(*tensors: Optional[Tensor]) -> Tuple[Any, ...]:
    """Under torch.autocast on the CPU, the tensors in float32, as autocast computes torch's own
    losses (binary_cross_entropy_with_logits, cross_entropy; so torchvision's function too): a
    bfloat16 or float16 model's logits give a float32 loss, their gradient flowing back through
    the cast. Outside autocast, the tensors as they are."""
    if not torch.is_autocast_enabled("cpu"):
        return tensors
    return tuple(None if t is None or not t.is_floating_point() else t.float() for t in tensors)


def _needs_grad(logits: Tensor, recompute: bool) -> bool:
    return torch.is_grad_enabled() and logits.requires_grad and not recompute


def _result(loss: Tensor, stats: Tensor, return_stats: bool) -> Any:
    if not return_stats:
        return loss
    positives, weight_sum, divisor = stats.tolist()
    return loss, FocalStats(positives, weight_sum, divisor)


# ---- The functions -----------------------------------------------------------------------------

def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: Optional[float] = 0.25, gamma: float = 2,
                       reduction: str = "none", *, normalizer: Union[None, Number, Tensor] = None,
                       weights: Optional[Tensor] = None, num_threads: Optional[int] = None, precision: str = "exact",
                       return_stats: bool = False, recompute: bool = False, poly1_epsilon: float = 0.0) -> Any:
    """Sigmoid focal loss, as ``torchvision.ops.sigmoid_focal_loss`` (same arguments, defaults and
    results), differentiable with respect to ``inputs``.

    Args:
        inputs: CPU tensor of float32, float64, float16 or bfloat16, any shape: the logits.
        targets: tensor of the inputs' shape and dtype, values in [0, 1] (hard 0/1 or soft).
        alpha: weight of the positives in [0, 1]; a negative value or None disables it, as in
            torchvision. Default 0.25.
        gamma: focusing parameter >= 0. Default 2.
        reduction: "none" (default), "mean" or "sum".
        normalizer: only with "mean": a positive number or one-element tensor replacing the
            element count as divisor (e.g. the positives counted over every rank).
        weights: None or a tensor of the inputs' dtype, >= 0: the inputs' shape (per element) or,
            for 2 or more dimensions, (N, d1, ...) (per position, shared by the classes).
        num_threads: None or 0 for the library default; results are identical for every value.
        precision: "exact" (default) or "fast" (float32 arithmetic for float32 hard targets).
        return_stats: also return a ``FocalStats`` of Python floats (positives, weight_sum,
            divisor): ``(loss, stats)``.
        recompute: False (default) keeps the gradient computed with the loss (one tensor of the
            inputs' size) for the backward pass; True keeps nothing and recomputes it there.
        poly1_epsilon: the Poly-1 coefficient (Leng et al., ICLR 2022): adds
            ``poly1_epsilon * (1 - p_t) ** (gamma + 1)`` to each element's loss (alpha weighs the
            focal term only); finite and >= -1 / (gamma + 1). 0 (default) is the focal loss, bit
            for bit.

    Returns:
        The loss: a tensor of the inputs' shape for "none", a 0-d tensor otherwise.
    """
    inputs = _logits("inputs", inputs)
    targets = _cpu_tensor("targets", targets)
    return _sigmoid_call(inputs, targets, False, -100, alpha, gamma, poly1_epsilon, reduction, normalizer, weights,
                         num_threads, precision, return_stats, recompute)


def sigmoid_focal_loss_from_labels(inputs: Tensor, labels: Tensor, alpha: Optional[float] = 0.25, gamma: float = 2,
                                   reduction: str = "none", *, ignore_index: int = -100,
                                   normalizer: Union[None, Number, Tensor] = None, weights: Optional[Tensor] = None,
                                   num_threads: Optional[int] = None, precision: str = "exact",
                                   return_stats: bool = False, recompute: bool = False,
                                   poly1_epsilon: float = 0.0) -> Any:
    """Sigmoid focal loss from integer labels (mmdet's convention): ``inputs`` (N, C, ...), ``labels``
    (N, ...) int64 or int32, a label in [0, C) is the position's positive class, C is background,
    ``ignore_index`` leaves the position out. Equal to ``sigmoid_focal_loss`` on the one-hot targets
    without the ignored positions, bit for bit; see ``focalloss.sigmoid_focal_loss_from_labels``.
    Other arguments (``poly1_epsilon`` included) as for ``sigmoid_focal_loss``."""
    inputs = _logits("inputs", inputs)
    labels = _cpu_tensor("labels", labels)
    ignore_index = _frontend._integer("ignore_index", ignore_index, _frontend._INT64_MIN,
                                      _frontend._INT64_MAX)
    return _sigmoid_call(inputs, labels, True, ignore_index, alpha, gamma, poly1_epsilon, reduction, normalizer,
                         weights, num_threads, precision, return_stats, recompute)


def _alpha(alpha: Any) -> float:
    """A sigmoid alpha as the operators take it: -1 for None or any negative value (torchvision's
    and fvcore's `if alpha >= 0` weighs, anything else does not)."""
    if alpha is None:
        return -1.0
    alpha = _frontend._real("alpha", alpha)
    return -1.0 if alpha < 0 else float(alpha)


def _sigmoid_call(inputs: Tensor, targets: Tensor, from_labels: bool, ignore_index: int, alpha: Any, gamma: Any,
                  poly1_epsilon: Any, reduction: Any, normalizer: Any, weights: Any, num_threads: Any, precision: Any,
                  return_stats: Any, recompute: Any) -> Any:
    alpha = _alpha(alpha)
    gamma = _frontend._real("gamma", gamma)
    poly1_epsilon = _frontend._real("poly1_epsilon", poly1_epsilon)
    reduction, threads, precision, return_stats, recompute = _options(reduction, num_threads, precision,
                                                                      return_stats, recompute)
    inputs, targets, weights = _autocast(inputs, targets, _optional_tensor("weights", weights))
    loss, _, stats = _call(_SIGMOID, inputs, targets, weights, _normalizer(normalizer),
                           alpha, gamma, poly1_epsilon, reduction, from_labels, ignore_index, threads, precision,
                           _needs_grad(inputs, recompute), return_stats)
    return _result(loss, stats, return_stats)


def softmax_focal_loss(input: Tensor, target: Tensor, alpha: Union[None, Tensor, Sequence[float]] = None,
                       gamma: float = 2.0, reduction: str = "mean", ignore_index: int = -100,
                       label_smoothing: float = 0.0, *, normalizer: Union[None, Number, Tensor] = None,
                       weights: Optional[Tensor] = None, num_threads: Optional[int] = None, precision: str = "exact",
                       return_stats: bool = False, recompute: bool = False, poly1_epsilon: float = 0.0) -> Any:
    """Softmax focal loss with ``torch.nn.functional.cross_entropy``'s argument names (``alpha`` is
    its ``weight``); at ``gamma=0`` it is ``cross_entropy`` with class-index targets.

    Args:
        input: CPU tensor of float32, float64, float16 or bfloat16: (N, C), (N, C, d1, ...) or
            unbatched (C,).
        target: int64 or int32 class indices: (N,), (N, d1, ...) or () for an unbatched input,
            each in [0, C) or ``ignore_index``. (Class-probability targets are not supported.)
        alpha: None (default) or C class weights >= 0 (a tensor or a sequence).
        gamma: focusing parameter >= 0. Default 2.
        reduction: "mean" (default: divided by the sum of alpha[y] * weight over the targets not
            ignored, as cross_entropy), "sum" or "none" (the target's shape).
        ignore_index, label_smoothing: as in cross_entropy. Defaults -100 and 0.
        normalizer, weights (per position: the target's shape), num_threads, precision,
        return_stats, recompute: as for ``sigmoid_focal_loss``.
        poly1_epsilon: the Poly-1 coefficient: adds ``poly1_epsilon * (1 - p_y) ** (gamma + 1)`` to
            each position's loss (alpha weighs the focal term only; the mean's divisor is
            unchanged); finite and >= -1 / (gamma + 1), and only with label_smoothing 0. 0
            (default) is the focal loss, bit for bit.
    """
    input = _logits("input", input)
    target = _cpu_tensor("target", target)
    if target.dtype not in _INT_DTYPES:
        raise TypeError("target must hold class indices of dtype int64 or int32, got %s (class-probability "
                        "targets are not supported)" % target.dtype)
    unbatched = input.dim() == 1
    if unbatched:
        if target.dim() != 0:
            raise ValueError("target must be 0-d for an unbatched input of shape %s, got shape %s"
                             % (tuple(input.shape), tuple(target.shape)))
        input, target = input.unsqueeze(0), target.unsqueeze(0)
        if weights is not None:
            weights = _cpu_tensor("weights", weights).unsqueeze(0)
    if alpha is not None:
        if isinstance(alpha, Tensor):
            _cpu_tensor("alpha", alpha)
            if not alpha.is_floating_point():
                raise TypeError("alpha must be a floating-point tensor of C class weights, got %s" % alpha.dtype)
            alpha = alpha.to(torch.float64)
        elif isinstance(alpha, (numbers.Number, str, bytes)):
            raise TypeError("softmax alpha must be C class weights (a tensor or a sequence), got %s"
                            % type(alpha).__name__)
        else:
            alpha = torch.tensor(list(alpha), dtype=torch.float64)
    gamma = _frontend._real("gamma", gamma)
    ignore_index = _frontend._integer("ignore_index", ignore_index, _frontend._INT64_MIN,
                                      _frontend._INT64_MAX)
    label_smoothing = _frontend._real("label_smoothing", label_smoothing)
    poly1_epsilon = _frontend._real("poly1_epsilon", poly1_epsilon)
    reduction, threads, precision, return_stats, recompute = _options(reduction, num_threads, precision,
                                                                      return_stats, recompute)
    input, weights = _autocast(input, _optional_tensor("weights", weights))
    loss, _, stats = _call(_SOFTMAX, input, target, alpha, weights, _normalizer(normalizer), gamma, poly1_epsilon,
                           reduction, ignore_index, label_smoothing, threads, precision,
                           _needs_grad(input, recompute), return_stats)
    if unbatched and reduction == "none":
        loss = loss.squeeze(0)
    return _result(loss, stats, return_stats)


# ---- The focal family ---------------------------------------------------------------------------
#
# FL*, the asymmetric, quality focal and varifocal losses: the numpy API's functions of the same
# names (their formulas, parameters and ranges are in their docstrings and docs/math.md) on CPU
# tensors, with sigmoid_focal_loss's arguments and behaviour (targets of the inputs' shape and
# dtype, weights, normalizer, autograd, torch.compile), through one operator.

_FAMILY_OPTIONS_DOC = """
        inputs, targets, reduction, normalizer, weights, num_threads, precision, return_stats,
            recompute: as for ``sigmoid_focal_loss`` (targets of the inputs' shape and dtype,
            values in [0, 1]; "mean" divides the sum by the element count or the normalizer).

    Returns:
        The loss: a tensor of the inputs' shape for "none", a 0-d tensor otherwise (with
        ``return_stats``, ``(loss, FocalStats)``), differentiable with respect to ``inputs``
        (and a normalizer tensor): the library's gradient, computed with the loss."""


def _family_call(loss: str, inputs: Any, targets: Any, parameters: List[float], reduction: Any, normalizer: Any,
                 weights: Any, num_threads: Any, precision: Any, return_stats: Any, recompute: Any) -> Any:
    inputs = _logits("inputs", inputs)
    targets = _cpu_tensor("targets", targets)
    reduction, threads, precision, return_stats, recompute = _options(reduction, num_threads, precision,
                                                                      return_stats, recompute)
    inputs, targets, weights = _autocast(inputs, targets, _optional_tensor("weights", weights))
    result, _, stats = _call(_FAMILY, inputs, targets, weights, _normalizer(normalizer), loss, parameters, reduction,
                             threads, precision, _needs_grad(inputs, recompute), return_stats)
    return _result(result, stats, return_stats)


def sigmoid_focal_star_loss(inputs: Tensor, targets: Tensor, alpha: Optional[float] = None, gamma: float = 1.0,
                            beta: float = 0.0, reduction: str = "none", *,
                            normalizer: Union[None, Number, Tensor] = None, weights: Optional[Tensor] = None,
                            num_threads: Optional[int] = None, precision: str = "exact", return_stats: bool = False,
                            recompute: bool = False) -> Any:
    """FL* (Lin et al. 2017, appendix A), as ``fvcore.nn.sigmoid_focal_loss_star`` with a shift
    ``beta``: per element ``alpha_t * softplus(-(gamma * x_t + beta)) / gamma`` with
    ``x_t = (2t - 1) x``; see ``focalloss.sigmoid_focal_star_loss``.

    Args:
        alpha: weight of the positives in [0, 1]; None (default) or a negative value disables it,
            as in fvcore (whose default is -1).
        gamma: finite and > 0. Default 1 (fvcore's).
        beta: the shift, finite. Default 0 (fvcore has none).
    """
    parameters = [_alpha(alpha), _frontend._real("gamma", gamma), _frontend._real("beta", beta)]
    return _family_call("sigmoid_focal_star_loss", inputs, targets, parameters, reduction, normalizer, weights,
                        num_threads, precision, return_stats, recompute)


def asymmetric_loss(inputs: Tensor, targets: Tensor, gamma_pos: float = 1.0, gamma_neg: float = 4.0,
                    margin: float = 0.05, reduction: str = "none", *, normalizer: Union[None, Number, Tensor] = None,
                    weights: Optional[Tensor] = None, num_threads: Optional[int] = None, precision: str = "exact",
                    return_stats: bool = False, recompute: bool = False) -> Any:
    """The asymmetric loss, ASL (Ridnik et al., ICCV 2021), as timm's
    ``AsymmetricLossMultiLabel(gamma_neg, gamma_pos, clip=margin)`` without its eps clamp: per
    element ``-(1 - s) ** gamma_pos * log(s)`` for a positive and ``-p_m ** gamma_neg *
    log(1 - p_m)`` with ``p_m = max(s - margin, 0)`` for a negative (timm's mixture for a soft
    target); see ``focalloss.asymmetric_loss``. timm sums: reduction="sum" (or "mean" with
    normalizer=N for its batch mean).

    Args:
        gamma_pos: focusing of the positives, finite and >= 0. Default 1. (timm's first argument
            is gamma_neg.)
        gamma_neg: focusing of the negatives, finite and >= 0. Default 4.
        margin: the probability margin (timm's ``clip``) in [0, 1]. Default 0.05.
    """
    parameters = [_frontend._real("gamma_pos", gamma_pos), _frontend._real("gamma_neg", gamma_neg),
                  _frontend._real("margin", margin)]
    return _family_call("asymmetric_loss", inputs, targets, parameters, reduction, normalizer, weights, num_threads,
                        precision, return_stats, recompute)


def quality_focal_loss(inputs: Tensor, targets: Tensor, beta: float = 2.0, reduction: str = "none", *,
                       normalizer: Union[None, Number, Tensor] = None, weights: Optional[Tensor] = None,
                       num_threads: Optional[int] = None, precision: str = "exact", return_stats: bool = False,
                       recompute: bool = False) -> Any:
    """The quality focal loss, QFL (Li et al., NeurIPS 2020), as mmdet's ``quality_focal_loss`` on
    dense targets: per element ``|y - s| ** beta * BCEWithLogits(x, y)``, the target ``y`` a soft
    score in [0, 1] (the IoU for the positive class, 0 elsewhere); see
    ``focalloss.quality_focal_loss``. mmdet's "mean" is reduction="mean" with normalizer=N (rows).

    Args:
        beta: the focusing exponent, finite and >= 0. Default 2.
    """
    parameters = [_frontend._real("beta", beta)]
    return _family_call("quality_focal_loss", inputs, targets, parameters, reduction, normalizer, weights,
                        num_threads, precision, return_stats, recompute)


def varifocal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.75, gamma: float = 2.0, reduction: str = "none",
                   *, iou_weighted: bool = True, normalizer: Union[None, Number, Tensor] = None,
                   weights: Optional[Tensor] = None, num_threads: Optional[int] = None, precision: str = "exact",
                   return_stats: bool = False, recompute: bool = False) -> Any:
    """The varifocal loss, VFL (Zhang et al., CVPR 2021), as mmdet's ``varifocal_loss`` (whose
    default reduction is "mean"; here "none"): per element ``w * BCEWithLogits(x, q)`` for a
    target ``q > 0`` (``w = q`` with iou_weighted, else 1) and ``alpha * s ** gamma *
    BCEWithLogits(x, 0)`` for ``q = 0``; see ``focalloss.varifocal_loss``.

    Args:
        alpha: weight of the negatives, finite and >= 0. Default 0.75.
        gamma: focusing of the negatives, finite and >= 0. Default 2.
        iou_weighted: True (default) weighs a positive by its target q, False by 1.
    """
    parameters = [_frontend._real("alpha", alpha), _frontend._real("gamma", gamma),
                  float(_frontend._flag("iou_weighted", iou_weighted))]
    return _family_call("varifocal_loss", inputs, targets, parameters, reduction, normalizer, weights, num_threads,
                        precision, return_stats, recompute)


for _function in (sigmoid_focal_star_loss, asymmetric_loss, quality_focal_loss, varifocal_loss):
    if _function.__doc__ is not None:  # python -OO strips docstrings
        _function.__doc__ = _function.__doc__.rstrip() + _FAMILY_OPTIONS_DOC
del _function


# ---- Modules -----------------------------------------------------------------------------------

class _LossModule(torch.nn.Module):
    """What every module holds besides its loss's own parameters: the reduction and the call
    options. forward's normalizer, when given, overrides the module's."""

    def __init__(self, reduction: str, normalizer: Union[None, Number, Tensor], num_threads: Optional[int],
                 precision: str, return_stats: bool, recompute: bool) -> None:
        super().__init__()
        self.reduction, self.normalizer = reduction, normalizer
        self.num_threads, self.precision, self.return_stats, self.recompute = (num_threads, precision, return_stats,
                                                                               recompute)

    def _options(self, weights: Optional[Tensor], normalizer: Union[None, Number, Tensor]) -> Dict[str, Any]:
        return dict(normalizer=self.normalizer if normalizer is None else normalizer, weights=weights,
                    num_threads=self.num_threads, precision=self.precision, return_stats=self.return_stats,
                    recompute=self.recompute)

    def _repr(self, *names: str) -> str:
        return ", ".join("%s=%r" % (name, getattr(self, name)) for name in names + ("reduction",))


class SigmoidFocalLoss(_LossModule):
    """``sigmoid_focal_loss`` as a module holding its options (the same defaults: reduction "none",
    as torchvision's function). ``forward(inputs, targets, weights=None, normalizer=None)``: the
    per-batch weights and normalizer (the latter overrides the one given here)."""

    def __init__(self, alpha: Optional[float] = 0.25, gamma: float = 2, reduction: str = "none", *,
                 normalizer: Union[None, Number, Tensor] = None, num_threads: Optional[int] = None,
                 precision: str = "exact", return_stats: bool = False, recompute: bool = False,
                 poly1_epsilon: float = 0.0) -> None:
        super().__init__(reduction, normalizer, num_threads, precision, return_stats, recompute)
        self.alpha, self.gamma, self.poly1_epsilon = alpha, gamma, poly1_epsilon

    def forward(self, inputs: Tensor, targets: Tensor, weights: Optional[Tensor] = None,
                normalizer: Union[None, Number, Tensor] = None) -> Any:
        return sigmoid_focal_loss(inputs, targets, self.alpha, self.gamma, self.reduction,
                                  poly1_epsilon=self.poly1_epsilon, **self._options(weights, normalizer))

    def extra_repr(self) -> str:
        return self._repr("alpha", "gamma", "poly1_epsilon")


class FocalLoss(_LossModule):
    """``softmax_focal_loss`` as a module, like ``torch.nn.CrossEntropyLoss``: ``alpha`` (its
    ``weight``) is a buffer (it follows ``.to()`` and the state dict). ``forward(input, target,
    weights=None, normalizer=None)``."""

    alpha: Optional[Tensor]

    def __init__(self, alpha: Union[None, Tensor, Sequence[float]] = None, gamma: float = 2.0,
                 reduction: str = "mean", ignore_index: int = -100, label_smoothing: float = 0.0, *,
                 normalizer: Union[None, Number, Tensor] = None, num_threads: Optional[int] = None,
                 precision: str = "exact", return_stats: bool = False, recompute: bool = False,
                 poly1_epsilon: float = 0.0) -> None:
        super().__init__(reduction, normalizer, num_threads, precision, return_stats, recompute)
        if alpha is not None and not isinstance(alpha, Tensor):
            if isinstance(alpha, (numbers.Number, str, bytes)):
                raise TypeError("FocalLoss alpha must be C class weights (a tensor or a sequence), got %s"
                                % type(alpha).__name__)
            alpha = torch.tensor(list(alpha), dtype=torch.float64)
        self.register_buffer("alpha", alpha)
        self.gamma, self.ignore_index, self.label_smoothing, self.poly1_epsilon = (gamma, ignore_index,
                                                                                   label_smoothing, poly1_epsilon)

    def forward(self, input: Tensor, target: Tensor, weights: Optional[Tensor] = None,
                normalizer: Union[None, Number, Tensor] = None) -> Any:
        return softmax_focal_loss(input, target, self.alpha, self.gamma, self.reduction, self.ignore_index,
                                  self.label_smoothing, poly1_epsilon=self.poly1_epsilon,
                                  **self._options(weights, normalizer))

    def extra_repr(self) -> str:
        return self._repr("gamma", "ignore_index", "label_smoothing", "poly1_epsilon")


class SigmoidFocalStarLoss(_LossModule):
    """``sigmoid_focal_star_loss`` (FL*) as a module holding its options, with its defaults.
    ``forward(inputs, targets, weights=None, normalizer=None)``, as ``SigmoidFocalLoss``'s."""

    def __init__(self, alpha: Optional[float] = None, gamma: float = 1.0, beta: float = 0.0, reduction: str = "none",
                 *, normalizer: Union[None, Number, Tensor] = None, num_threads: Optional[int] = None,
                 precision: str = "exact", return_stats: bool = False, recompute: bool = False) -> None:
        super().__init__(reduction, normalizer, num_threads, precision, return_stats, recompute)
        self.alpha, self.gamma, self.beta = alpha, gamma, beta

    def forward(self, inputs: Tensor, targets: Tensor, weights: Optional[Tensor] = None,
                normalizer: Union[None, Number, Tensor] = None) -> Any:
        return sigmoid_focal_star_loss(inputs, targets, self.alpha, self.gamma, self.beta, self.reduction,
                                       **self._options(weights, normalizer))

    def extra_repr(self) -> str:
        return self._repr("alpha", "gamma", "beta")


class AsymmetricLoss(_LossModule):
    """``asymmetric_loss`` (ASL) as a module holding its options, with its defaults (timm's
    ``AsymmetricLossMultiLabel``'s gammas and clip, reduction "none": timm's is a sum).
    ``forward(inputs, targets, weights=None, normalizer=None)``, as ``SigmoidFocalLoss``'s."""

    def __init__(self, gamma_pos: float = 1.0, gamma_neg: float = 4.0, margin: float = 0.05, reduction: str = "none",
                 *, normalizer: Union[None, Number, Tensor] = None, num_threads: Optional[int] = None,
                 precision: str = "exact", return_stats: bool = False, recompute: bool = False) -> None:
        super().__init__(reduction, normalizer, num_threads, precision, return_stats, recompute)
        self.gamma_pos, self.gamma_neg, self.margin = gamma_pos, gamma_neg, margin

    def forward(self, inputs: Tensor, targets: Tensor, weights: Optional[Tensor] = None,
                normalizer: Union[None, Number, Tensor] = None) -> Any:
        return asymmetric_loss(inputs, targets, self.gamma_pos, self.gamma_neg, self.margin, self.reduction,
                               **self._options(weights, normalizer))

    def extra_repr(self) -> str:
        return self._repr("gamma_pos", "gamma_neg", "margin")


class QualityFocalLoss(_LossModule):
    """``quality_focal_loss`` (QFL) as a module holding its options, with its defaults.
    ``forward(inputs, targets, weights=None, normalizer=None)``, as ``SigmoidFocalLoss``'s."""

    def __init__(self, beta: float = 2.0, reduction: str = "none", *, normalizer: Union[None, Number, Tensor] = None,
                 num_threads: Optional[int] = None, precision: str = "exact", return_stats: bool = False,
                 recompute: bool = False) -> None:
        super().__init__(reduction, normalizer, num_threads, precision, return_stats, recompute)
        self.beta = beta

    def forward(self, inputs: Tensor, targets: Tensor, weights: Optional[Tensor] = None,
                normalizer: Union[None, Number, Tensor] = None) -> Any:
        return quality_focal_loss(inputs, targets, self.beta, self.reduction, **self._options(weights, normalizer))

    def extra_repr(self) -> str:
        return self._repr("beta")


class VarifocalLoss(_LossModule):
    """``varifocal_loss`` (VFL) as a module holding its options, with its defaults (reduction
    "none"; mmdet's ``VarifocalLoss`` means by default). ``forward(inputs, targets, weights=None,
    normalizer=None)``, as ``SigmoidFocalLoss``'s."""

    def __init__(self, alpha: float = 0.75, gamma: float = 2.0, reduction: str = "none", *, iou_weighted: bool = True,
                 normalizer: Union[None, Number, Tensor] = None, num_threads: Optional[int] = None,
                 precision: str = "exact", return_stats: bool = False, recompute: bool = False) -> None:
        super().__init__(reduction, normalizer, num_threads, precision, return_stats, recompute)
        self.alpha, self.gamma, self.iou_weighted = alpha, gamma, iou_weighted

    def forward(self, inputs: Tensor, targets: Tensor, weights: Optional[Tensor] = None,
                normalizer: Union[None, Number, Tensor] = None) -> Any:
        return varifocal_loss(inputs, targets, self.alpha, self.gamma, self.reduction, iou_weighted=self.iou_weighted,
                              **self._options(weights, normalizer))

    def extra_repr(self) -> str:
        return self._repr("alpha", "gamma", "iou_weighted")
