"""The one Python API over either backend.

Everything a user can get wrong in Python terms (types, dtypes, shapes, the reduction's
name) is checked here, the same way for both backends; every value the library validates
(alpha, gamma, label smoothing, normalizer, targets, weights, thread count) goes to the library,
whose message becomes the ValueError. Arrays are never converted to another dtype; non-contiguous
arrays are copied to contiguous ones of the same dtype.

Storage types: float16, bfloat16, float32 and float64 logits (targets, weights, loss and gradient
of the same dtype). bfloat16 is ml_dtypes.bfloat16, which is never imported here: a bfloat16
array cannot exist unless ml_dtypes is loaded, so its dtype is looked up in sys.modules when an
array of an unknown dtype comes in. Its numpy dtype refuses the buffer protocol, so the backends
receive bfloat16 arrays as their uint16 views (the same bits): to both backends, uint16 storage
means bfloat16, and their outputs are written through such views into bfloat16 arrays.

A call without weights and without return_stats takes the library's unweighted function; any
other takes its _weighted function (weights NULL when only the statistics are asked for), which
gives the unweighted results bit for bit when there are no weights. The focal family (FL*,
asymmetric, quality focal, varifocal) has only functions of the _weighted signature: every call
takes them, through sigmoid_focal_loss's code for dense targets (_dense_arrays, _call_options,
_dense_call) and one backend entry, sigmoid_family.
"""

import collections
import math
import numbers
import operator
import sys

import numpy as np

_REDUCTIONS = {"none": 0, "sum": 1, "mean": 2}
#: The storage types numpy has itself; bfloat16 comes from ml_dtypes (_bfloat16).
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16))
_FLOAT_NAMES = "float16, bfloat16, float32 or float64"
_INTS = (np.dtype(np.int32), np.dtype(np.int64))
_INT32_MAX = 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

#: focal_weights_layout.
_PER_ELEMENT, _PER_POSITION = 0, 1


class FocalStats(collections.namedtuple("FocalStats", ["positives", "weight_sum", "divisor"])):
    """What a call with ``return_stats=True`` reports besides the loss (the C API's focal_stats),
    for a data-parallel trainer that all-reduces its counts once. Python floats:

    - positives: the sum of the targets (sigmoid_focal_loss); the positions whose label is a
      class in [0, C) (sigmoid_focal_loss_from_labels); the sum of weight * alpha[y] over the
      positions not ignored, the mean's own divisor (softmax_focal_loss).
    - weight_sum: the sum of the weights of what the loss covers (every element's, a
      per-position weight counting once per class; the kept elements'; the non-ignored
      positions'); without weights, their count.
    - divisor: what the loss was divided by: the normalizer or the mean's divisor for
      reduction="mean" (0.0 when that mean is undefined), 1.0 for "none" and "sum".
    """

    __slots__ = ()


#: DLPack's device types (dlpack.h's DLDeviceType), for naming a device the library cannot read.
_DLPACK_DEVICES = {1: "cpu", 2: "cuda", 3: "cuda_host", 4: "opencl", 7: "vulkan", 8: "metal", 9: "vpi", 10: "rocm",
                   11: "rocm_host", 12: "ext_dev", 13: "cuda_managed", 14: "oneapi", 15: "webgpu", 16: "hexagon",
                   17: "maia"}
_DLPACK_CPU = 1


def _from_dlpack(name, value):
    """A CPU array from any object with __dlpack__ (a torch tensor, a jax array, a cupy array...),
    as a numpy array over the same memory (no copy). Only CPU memory is accepted: anything else
    is a ValueError naming its device, never a silent copy to the host."""
    try:
        device_type, device_id = value.__dlpack_device__()
    except Exception as error:  # noqa: BLE001 - the producer's own failure, reported as such
        raise TypeError("%s: %s has __dlpack__ but __dlpack_device__() failed: %s"
                        % (name, type(value).__name__, error)) from None
    if device_type != _DLPACK_CPU:
        device = _DLPACK_DEVICES.get(device_type, "DLPack device type %s" % device_type)
        raise ValueError("%s is on device %s:%s; focalloss reads CPU memory only (move it to the CPU first)"
                         % (name, device, device_id))
    try:
        return np.from_dlpack(value)
    except (BufferError, RuntimeError, TypeError, ValueError) as error:
        reason = error
    # numpy's DLPack import has no bfloat16; a producer that also exports itself through the array
    # protocol as ml_dtypes.bfloat16 (jax does, over the same CPU buffer) is read that way.
    bfloat16 = _bfloat16()
    if bfloat16 is not None and str(getattr(value, "dtype", "")) == "bfloat16" and hasattr(value, "__array__"):
        array = np.asarray(value)
        if array.dtype == bfloat16:
            return array
    raise TypeError("%s: numpy cannot read this %s through DLPack: %s" % (name, type(value).__name__, reason))


def _array(name, value):
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "__dlpack__") and not isinstance(value, np.generic):
        return _from_dlpack(name, value)
    raise TypeError("%s must be a numpy.ndarray or a CPU array with __dlpack__, got %s" % (name, type(value).__name__))


_bfloat16_dtype = None


def _bfloat16():
    """numpy's dtype of ml_dtypes.bfloat16 once ml_dtypes is loaded (by anyone), else None."""
    global _bfloat16_dtype
    if _bfloat16_dtype is None:
        module = sys.modules.get("ml_dtypes")
        if module is not None:
            _bfloat16_dtype = np.dtype(module.bfloat16)
    return _bfloat16_dtype


def _same(array):
    return array


def _bits(array):
    """A bfloat16 array as the backends take it: its uint16 view (None stays None)."""
    return None if array is None else array.view(np.uint16)


def _logits(value):
    """The logits array, and what turns an array of its dtype into what the backends take
    (_same, or _bits for bfloat16)."""
    logits = _array("logits", value)
    if logits.dtype in _FLOATS:
        return logits, _same
    bfloat16 = _bfloat16()
    if bfloat16 is not None and logits.dtype == bfloat16:
        return logits, _bits
    raise TypeError("logits must have dtype %s, got %s" % (_FLOAT_NAMES, logits.dtype))


def _real(name, value):
    if type(value) is float:  # the common case, without the slower ABC check
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a real number, got %s" % (name, type(value).__name__))
    return float(value)


def _integer(name, value, low, high):
    if type(value) is int and low <= value <= high:
        return value
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("%s must be an integer, got bool" % name)
    try:
        result = operator.index(value)
    except TypeError:
        raise TypeError("%s must be an integer, got %s" % (name, type(value).__name__)) from None
    if not low <= result <= high:
        raise ValueError("%s = %d is out of range [%d, %d]" % (name, result, low, high))
    return result


def _choice(name, value, choices):
    """The C value of a string option: `choices` maps each accepted string to it."""
    if type(value) is str and value in choices:  # the common case, one lookup
        return choices[value]
    if not isinstance(value, str):
        raise TypeError("%s must be a str, got %s" % (name, type(value).__name__))
    if value in choices:  # a str subclass
        return choices[value]
    raise ValueError("%s = %r is not one of %s" % (name, value, ", ".join(map(repr, choices))))


def _reduction(value):
    return _choice("reduction", value, _REDUCTIONS)


def _normalizer(value):
    if value is None:
        return 0, 0.0
    return 1, _real("normalizer", value)


def _threads(value):
    if value is None:
        return 0
    # Negative values go to the library, which names them; only what int32 cannot hold stops here.
    return _integer("num_threads", value, -_INT32_MAX - 1, _INT32_MAX)


_PRECISIONS = {"exact": 0, "fast": 1}


def _precision(value):
    return _choice("precision", value, _PRECISIONS)


def _flag(name, value):
    if value is True or value is False:
        return value
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError("%s must be a bool, got %s" % (name, type(value).__name__))
    return bool(value)


def _contiguous(array):
    """The array itself when C-contiguous, else a C-ordered copy of the same dtype and shape
    (np.ascontiguousarray would turn a 0-d array into a 1-d one)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


def _raise_for(status, message):
    """Every library error is about a value, a shape or a range: ValueError with its message."""
    if status != 0:
        raise ValueError(message)


def _weights(value, logits, shapes):
    """The weights array, C-contiguous, of the logits' dtype, and its layout: `shapes` is a list of
    (shape, layout, description) it may have, the first match winning."""
    weights = _array("weights", value)
    if weights.dtype != logits.dtype:
        raise TypeError("weights must have the logits' dtype %s, got %s" % (logits.dtype, weights.dtype))
    for shape, layout, _ in shapes:
        if weights.shape == shape:
            return _contiguous(weights), layout
    raise ValueError("weights must have %s, got %s"
                     % (" or ".join("%s %s" % (what, shape) for shape, _, what in shapes), weights.shape))


def _stats_buffer(return_stats):
    """Where a backend writes positives, weight_sum and divisor, or None."""
    return np.zeros(3, np.float64) if return_stats else None


def _finish(loss, reduced, grad, return_grad, stats):
    """The loss (element 0 when reduced), then the gradient with return_grad, then the FocalStats
    when `stats` (the backend's filled buffer) is given."""
    value = loss if not reduced else loss[0]
    if stats is None:
        return (value, grad) if return_grad else value
    report = FocalStats(float(stats[0]), float(stats[1]), float(stats[2]))
    return (value, grad, report) if return_grad else (value, report)


def _class_weights(alpha, classes):
    """The softmax's alpha as a float64 array of C class weights, or None."""
    if alpha is None:
        return None
    if isinstance(alpha, (numbers.Number, np.generic, str, bytes)):
        raise TypeError("softmax alpha must be a sequence of C = %d class weights, got %s (kornia's scalar a "
                        "is the vector [1 - a, a, ..., a])" % (classes, type(alpha).__name__))
    try:
        class_weights = np.array(alpha, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("softmax alpha must be a sequence of C = %d real class weights" % classes) from None
    if class_weights.shape != (classes,):
        raise ValueError("alpha must hold one weight per class, C = %d, got shape %s" % (classes, class_weights.shape))
    return class_weights


def _dense_arrays(logits, targets, weights):
    """The checked arrays of a call with dense targets (the sigmoid focal loss and the focal
    family): (logits, raw, targets, weights, layout), weights None or C-contiguous, layout the
    focal_weights_layout value (per element when there are no weights: the library reads it)."""
    logits, raw = _logits(logits)
    targets = _array("targets", targets)
    if targets.dtype != logits.dtype:
        raise TypeError("targets must have the logits' dtype %s, got %s" % (logits.dtype, targets.dtype))
    if targets.shape != logits.shape:
        raise ValueError("targets must have the logits' shape %s, got %s" % (logits.shape, targets.shape))
    layout = _PER_ELEMENT
    if weights is not None:
        shapes = [(logits.shape, _PER_ELEMENT, "the logits' shape")]
        if logits.ndim >= 2:  # one weight per position (n, d1, ...), the same for every class
            shapes.append((logits.shape[:1] + logits.shape[2:], _PER_POSITION, "the positions' shape"))
        weights, layout = _weights(weights, logits, shapes)
    return logits, raw, targets, weights, layout


def _call_options(reduction, normalizer, num_threads, return_grad, precision, return_stats):
    """The options every loss call shares, checked and converted: (reduction, use_normalizer,
    normalizer, threads, return_grad, tier, return_stats)."""
    reduction = _reduction(reduction)
    use_normalizer, normalizer = _normalizer(normalizer)
    threads = _threads(num_threads)
    return_grad = _flag("return_grad", return_grad)
    tier = _precision(precision)
    return_stats = _flag("return_stats", return_stats)
    return reduction, use_normalizer, normalizer, threads, return_grad, tier, return_stats


def _dense_call(logits, raw, targets, weights, layout, reduction, return_grad, return_stats, call):
    """Runs a call with dense targets: allocates the loss and gradient, gives `call` the arrays as
    the backends take them, (x, t, batch, classes, inner, weights, layout, loss, grad, stats)
    (logits (N, C, d1, ...) as batch N, classes C, inner d1*...; a 1-d or 0-d array as one row
    of one class), raises the library's error, and returns the public result."""
    x = _contiguous(logits)
    t = _contiguous(targets)
    loss = np.empty(x.shape if reduction == 0 else 1, x.dtype)
    grad = np.empty(x.shape, x.dtype) if return_grad else None
    if x.ndim >= 2:
        batch, classes, inner = x.shape[0], x.shape[1], math.prod(x.shape[2:])
    else:
        batch, classes, inner = 1, 1, x.size
    stats = _stats_buffer(return_stats)
    status, message = call(raw(x), raw(t), batch, classes, inner, raw(weights), layout, raw(loss), raw(grad), stats)
    _raise_for(status, message)
    return _finish(loss, reduction != 0, grad, return_grad, stats)


def sigmoid_focal_loss(backend, logits, targets, alpha=0.25, gamma=2.0, reduction="none", *, normalizer=None,
                       return_grad=False, num_threads=None, precision="exact", weights=None, return_stats=False,
                       poly1_epsilon=0.0):
    logits, raw, targets, weights, layout = _dense_arrays(logits, targets, weights)
    alpha = -1.0 if alpha is None else _real("alpha", alpha)
    gamma = _real("gamma", gamma)
    poly1 = _real("poly1_epsilon", poly1_epsilon)
    reduction, use_normalizer, normalizer, threads, return_grad, tier, return_stats = _call_options(
        reduction, normalizer, num_threads, return_grad, precision, return_stats)

    if weights is None and not return_stats:
        # The unweighted function: the element count is all it needs of the shape.
        def call(x, t, batch, classes, inner, w, layout, loss, grad, stats):
            return backend.sigmoid(x, t, None, loss, grad, reduction, alpha, gamma, use_normalizer, normalizer,
                                   threads, tier, poly1)
    else:
        def call(x, t, batch, classes, inner, w, layout, loss, grad, stats):
            return backend.sigmoid_weighted(x, t, batch, classes, inner, w, layout, None, loss, grad, stats,
                                            reduction, alpha, gamma, use_normalizer, normalizer, threads, tier, poly1)
    return _dense_call(logits, raw, targets, weights, layout, reduction, return_grad, return_stats, call)


# ---- The focal family: FL*, asymmetric, quality focal and varifocal losses ----------------------

#: The `kind` of backend.sigmoid_family: which loss of the family (its C functions
#: focal_<stem>_<dtype>, its options struct focal_<stem>_options). The same numbers in both
#: backends.
SIGMOID_STAR, ASYMMETRIC, QUALITY, VARIFOCAL = 0, 1, 2, 3


def sigmoid_family(backend, kind, logits, targets, parameters, reduction="none", *, normalizer=None,
                   return_grad=False, num_threads=None, precision="exact", weights=None, return_stats=False):
    """One of the focal family, with the calling conventions of sigmoid_focal_loss (its weighted
    path: every family function has the _weighted signature). `parameters` is a function of no
    argument returning the loss's own parameters as backend.sigmoid_family takes them,
    (p0, p1, p2, flag), checked and converted after the arrays (the order sigmoid_focal_loss
    checks its alpha and gamma in)."""
    logits, raw, targets, weights, layout = _dense_arrays(logits, targets, weights)
    p0, p1, p2, flag = parameters()
    reduction, use_normalizer, normalizer, threads, return_grad, tier, return_stats = _call_options(
        reduction, normalizer, num_threads, return_grad, precision, return_stats)

    def call(x, t, batch, classes, inner, w, layout, loss, grad, stats):
        return backend.sigmoid_family(kind, x, t, batch, classes, inner, w, layout, None, loss, grad, stats,
                                      reduction, p0, p1, p2, flag, use_normalizer, normalizer, threads, tier)
    return _dense_call(logits, raw, targets, weights, layout, reduction, return_grad, return_stats, call)


def sigmoid_focal_star_loss(backend, logits, targets, alpha=None, gamma=1.0, beta=0.0, reduction="none", **options):
    def parameters():
        return (-1.0 if alpha is None else _real("alpha", alpha)), _real("gamma", gamma), _real("beta", beta), 0
    return sigmoid_family(backend, SIGMOID_STAR, logits, targets, parameters, reduction, **options)


def asymmetric_loss(backend, logits, targets, gamma_pos=1.0, gamma_neg=4.0, margin=0.05, reduction="none",
                    **options):
    def parameters():
        return _real("gamma_pos", gamma_pos), _real("gamma_neg", gamma_neg), _real("margin", margin), 0
    return sigmoid_family(backend, ASYMMETRIC, logits, targets, parameters, reduction, **options)


def quality_focal_loss(backend, logits, targets, beta=2.0, reduction="none", **options):
    def parameters():
        return _real("beta", beta), 0.0, 0.0, 0
    return sigmoid_family(backend, QUALITY, logits, targets, parameters, reduction, **options)


def varifocal_loss(backend, logits, targets, alpha=0.75, gamma=2.0, reduction="none", *, iou_weighted=True,
                   **options):
    def parameters():
        return _real("alpha", alpha), _real("gamma", gamma), 0.0, int(_flag("iou_weighted", iou_weighted))
    return sigmoid_family(backend, VARIFOCAL, logits, targets, parameters, reduction, **options)


def sigmoid_focal_loss_from_labels(backend, logits, labels, alpha=0.25, gamma=2.0, reduction="none", *,
                                   ignore_index=-100, normalizer=None, return_grad=False, num_threads=None,
                                   precision="exact", weights=None, return_stats=False, poly1_epsilon=0.0):
    logits, raw = _logits(logits)
    if logits.ndim < 2:
        raise ValueError("logits must have shape (N, C, ...) with the classes on axis 1, got %s" % (logits.shape,))
    labels = _array("labels", labels)
    if labels.dtype not in _INTS:
        raise TypeError("labels must have dtype int64 or int32, got %s" % labels.dtype)
    expected = logits.shape[:1] + logits.shape[2:]
    if labels.shape != expected:
        raise ValueError("labels must have shape %s for logits of shape %s, got %s"
                         % (expected, logits.shape, labels.shape))
    layout = _PER_ELEMENT
    if weights is not None:
        weights, layout = _weights(weights, logits, [(logits.shape, _PER_ELEMENT, "the logits' shape"),
                                                     (expected, _PER_POSITION, "the labels' shape")])
    batch, classes = logits.shape[0], logits.shape[1]
    inner = math.prod(logits.shape[2:])
    alpha = -1.0 if alpha is None else _real("alpha", alpha)
    gamma = _real("gamma", gamma)
    poly1 = _real("poly1_epsilon", poly1_epsilon)
    ignore_index = _integer("ignore_index", ignore_index, _INT64_MIN, _INT64_MAX)
    reduction, use_normalizer, normalizer, threads, return_grad, tier, return_stats = _call_options(
        reduction, normalizer, num_threads, return_grad, precision, return_stats)

    x = _contiguous(logits)
    y = _contiguous(labels)
    loss = np.empty(x.shape if reduction == 0 else 1, x.dtype)
    grad = np.empty(x.shape, x.dtype) if return_grad else None
    if weights is None and not return_stats:
        stats = None
        status, message = backend.sigmoid_labels(raw(x), y, batch, classes, inner, None, raw(loss), raw(grad),
                                                 reduction, alpha, gamma, ignore_index, use_normalizer, normalizer,
                                                 threads, tier, poly1)
    else:
        stats = _stats_buffer(return_stats)
        status, message = backend.sigmoid_labels_weighted(raw(x), y, batch, classes, inner, raw(weights), layout,
                                                          None, raw(loss), raw(grad), stats, reduction, alpha, gamma,
                                                          ignore_index, use_normalizer, normalizer, threads, tier,
                                                          poly1)
    _raise_for(status, message)
    return _finish(loss, reduction != 0, grad, return_grad, stats)


def softmax_focal_loss(backend, logits, targets, alpha=None, gamma=2.0, reduction="mean", *, ignore_index=-100,
                       label_smoothing=0.0, normalizer=None, return_grad=False, num_threads=None,
                       precision="exact", weights=None, return_stats=False, poly1_epsilon=0.0):
    logits, raw = _logits(logits)
    if logits.ndim < 2:
        raise ValueError("logits must have shape (N, C, ...) with the classes on axis 1, got %s" % (logits.shape,))
    targets = _array("targets", targets)
    if targets.dtype not in _INTS:
        raise TypeError("targets must have dtype int64 or int32, got %s" % targets.dtype)
    expected = logits.shape[:1] + logits.shape[2:]
    if targets.shape != expected:
        raise ValueError("targets must have shape %s for logits of shape %s, got %s"
                         % (expected, logits.shape, targets.shape))
    if weights is not None:
        weights, _ = _weights(weights, logits, [(expected, _PER_POSITION, "the targets' shape")])
    batch, classes = logits.shape[0], logits.shape[1]
    inner = math.prod(logits.shape[2:])
    class_weights = _class_weights(alpha, classes)
    gamma = _real("gamma", gamma)
    ignore_index = _integer("ignore_index", ignore_index, _INT64_MIN, _INT64_MAX)
    label_smoothing = _real("label_smoothing", label_smoothing)
    poly1 = _real("poly1_epsilon", poly1_epsilon)
    reduction, use_normalizer, normalizer, threads, return_grad, tier, return_stats = _call_options(
        reduction, normalizer, num_threads, return_grad, precision, return_stats)

    x = _contiguous(logits)
    y = _contiguous(targets)
    loss = np.empty(expected if reduction == 0 else 1, x.dtype)
    grad = np.empty(x.shape, x.dtype) if return_grad else None
    if weights is None and not return_stats:
        stats = None
        status, message = backend.softmax(raw(x), y, batch, classes, inner, None, raw(loss), raw(grad), reduction,
                                          gamma, class_weights, ignore_index, label_smoothing, use_normalizer,
                                          normalizer, threads, tier, poly1)
    else:
        stats = _stats_buffer(return_stats)
        status, message = backend.softmax_weighted(raw(x), y, batch, classes, inner, raw(weights), None, raw(loss),
                                                   raw(grad), stats, reduction, gamma, class_weights, ignore_index,
                                                   label_smoothing, use_normalizer, normalizer, threads, tier, poly1)
    _raise_for(status, message)
    return _finish(loss, reduction != 0, grad, return_grad, stats)


# ---- Gradient and Hessian, starting margins (gradient boosting) ----------------------------

#: focal_hessian.
_HESSIANS = {"exact": 0, "clipped": 1, "approximate": 2}
#: The Hessian the gradient-boosting functions use when not told (docs/boosting.md: with "exact",
#: the mode that converged best on the XGBoost demo, and never negative).
DEFAULT_HESSIAN = "clipped"
_F32_F64 = (np.dtype(np.float32), np.dtype(np.float64))


def _boosting_logits(value):
    logits = _array("logits", value)
    if logits.dtype not in _F32_F64:
        raise TypeError("logits must have dtype float32 or float64, got %s" % logits.dtype)
    return logits


def _sigmoid_layout(array):
    """(batch, classes, inner) of a sigmoid array: (N, C, d1, ...) in PyTorch's layout, a 1-D
    array as N rows of one class."""
    if array.ndim >= 2:
        return array.shape[0], array.shape[1], math.prod(array.shape[2:])
    return array.size, 1, 1


def sigmoid_focal_grad_hess(backend, logits, targets, alpha=0.25, gamma=2.0, *, weights=None,
                            hessian=DEFAULT_HESSIAN, precision="exact", num_threads=None):
    logits = _boosting_logits(logits)
    targets = _array("targets", targets)
    if targets.dtype != logits.dtype:
        raise TypeError("targets must have the logits' dtype %s, got %s" % (logits.dtype, targets.dtype))
    if targets.shape != logits.shape:
        raise ValueError("targets must have the logits' shape %s, got %s" % (logits.shape, targets.shape))
    layout = _PER_ELEMENT
    if weights is not None:
        shapes = [(logits.shape, _PER_ELEMENT, "the logits' shape")]
        if logits.ndim >= 2:
            shapes.append((logits.shape[:1] + logits.shape[2:], _PER_POSITION, "the rows' shape"))
        weights, layout = _weights(weights, logits, shapes)
    alpha = -1.0 if alpha is None else _real("alpha", alpha)
    gamma = _real("gamma", gamma)
    mode = _choice("hessian", hessian, _HESSIANS)
    tier = _precision(precision)
    threads = _threads(num_threads)
    x = _contiguous(logits)
    t = _contiguous(targets)
    batch, classes, inner = _sigmoid_layout(x)
    grad = np.empty(x.shape, x.dtype)
    hess = np.empty(x.shape, x.dtype)
    status, message = backend.sigmoid_grad_hess(x, t, batch, classes, inner, weights, layout, grad, hess, mode, alpha,
                                                gamma, threads, tier)
    _raise_for(status, message)
    return grad, hess


_LAYOUTS = ("row", "class")


def softmax_focal_grad_hess(backend, logits, labels, alpha=None, gamma=2.0, *, weights=None, hessian=DEFAULT_HESSIAN,
                            layout="row", ignore_index=-100, precision="exact", num_threads=None):
    logits = _boosting_logits(logits)
    if not isinstance(layout, str):
        raise TypeError("layout must be a str, got %s" % type(layout).__name__)
    if layout not in _LAYOUTS:
        raise ValueError("layout = %r is not one of 'row', 'class'" % (layout,))
    labels = _array("labels", labels)
    if labels.dtype not in _INTS:
        raise TypeError("labels must have dtype int64 or int32, got %s" % labels.dtype)
    if layout == "row":
        if logits.ndim < 2:
            raise ValueError("logits must have shape (N, C, ...) for layout='row', got %s" % (logits.shape,))
        expected = logits.shape[:1] + logits.shape[2:]
        batch, classes, inner = logits.shape[0], logits.shape[1], math.prod(logits.shape[2:])
    else:
        if logits.ndim != 2:
            raise ValueError("logits must have shape (C, N) for layout='class', got %s" % (logits.shape,))
        expected = logits.shape[1:]
        batch, classes, inner = 1, logits.shape[0], logits.shape[1]
    if labels.shape != expected:
        raise ValueError("labels must have shape %s for logits of shape %s (layout=%r), got %s"
                         % (expected, logits.shape, layout, labels.shape))
    if weights is not None:
        weights, _ = _weights(weights, logits, [(expected, _PER_POSITION, "the labels' shape")])
    class_weights = _class_weights(alpha, classes)
    gamma = _real("gamma", gamma)
    mode = _choice("hessian", hessian, _HESSIANS)
    ignore_index = _integer("ignore_index", ignore_index, _INT64_MIN, _INT64_MAX)
    tier = _precision(precision)
    threads = _threads(num_threads)
    x = _contiguous(logits)
    y = _contiguous(labels)
    grad = np.empty(x.shape, x.dtype)
    hess = np.empty(x.shape, x.dtype)
    status, message = backend.softmax_grad_hess(x, y, batch, classes, inner, weights, grad, hess, mode, gamma,
                                                class_weights, ignore_index, threads, tier)
    _raise_for(status, message)
    return grad, hess


def sigmoid_focal_init_score(backend, targets, alpha=0.25, gamma=2.0, *, weights=None, num_threads=None):
    targets = _array("targets", targets)
    if targets.dtype not in _F32_F64:
        raise TypeError("targets must have dtype float32 or float64, got %s" % targets.dtype)
    if targets.ndim == 0:
        raise ValueError("targets must have shape (N,) or (N, C, ...), got a 0-d array")
    layout = _PER_ELEMENT
    if weights is not None:
        shapes = [(targets.shape, _PER_ELEMENT, "the targets' shape")]
        if targets.ndim >= 2:
            shapes.append((targets.shape[:1] + targets.shape[2:], _PER_POSITION, "the rows' shape"))
        weights, layout = _weights(weights, targets, shapes)
    alpha = -1.0 if alpha is None else _real("alpha", alpha)
    gamma = _real("gamma", gamma)
    threads = _threads(num_threads)
    t = _contiguous(targets)
    batch, classes, inner = _sigmoid_layout(t)
    scores = np.empty(classes, t.dtype)
    status, message = backend.sigmoid_init_score(t, batch, classes, inner, weights, layout, scores, alpha, gamma,
                                                 threads)
    _raise_for(status, message)
    return float(scores[0]) if targets.ndim == 1 else scores


def softmax_focal_init_score(backend, labels, num_classes, alpha=None, gamma=2.0, *, weights=None, ignore_index=-100,
                             num_threads=None):
    labels = _array("labels", labels)
    if labels.dtype not in _INTS:
        raise TypeError("labels must have dtype int64 or int32, got %s" % labels.dtype)
    classes = _integer("num_classes", num_classes, 1, _INT64_MAX)
    if weights is not None:
        weights = _array("weights", weights)
        if weights.dtype != np.float64:
            raise TypeError("weights must have dtype float64, got %s" % weights.dtype)
        if weights.shape != labels.shape:
            raise ValueError("weights must have the labels' shape %s, got %s" % (labels.shape, weights.shape))
        weights = _contiguous(weights)
    class_weights = _class_weights(alpha, classes)
    gamma = _real("gamma", gamma)
    ignore_index = _integer("ignore_index", ignore_index, _INT64_MIN, _INT64_MAX)
    threads = _threads(num_threads)
    y = _contiguous(labels)
    scores = np.empty(classes, np.float64)
    status, message = backend.softmax_init_score(y, 1, classes, y.size, weights, scores, gamma, class_weights,
                                                 ignore_index, threads)
    _raise_for(status, message)
    return scores
