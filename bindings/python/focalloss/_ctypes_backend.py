"""The ctypes backend: the C API of include/focalloss.h called through ctypes.

Same interface as the extension (focalloss._ext): sigmoid(...), sigmoid_labels(...), softmax(...)
and their _weighted forms take C-contiguous numpy arrays of already-checked dtypes (float16,
float32, float64, or uint16 holding bfloat16 bits) and return (status, message). The _weighted
forms take `stats`: None, or a float64 array of 3 values that a successful call fills with the
focal_stats fields positives, weight_sum and divisor. sigmoid_family(kind, ...) calls one of the
focal family's functions (FL*, asymmetric, quality focal, varifocal), which all have the
_weighted signature.
"""

import ctypes
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_uint32, c_void_p

import numpy as np

from . import _library
from ._version import VERSION_NUMBER

name = "ctypes"


class SigmoidOptions(ctypes.Structure):
    """focal_sigmoid_options, version 4."""

    _fields_ = [
        ("version", c_uint32),
        ("reduction", c_uint32),
        ("alpha", c_double),
        ("gamma", c_double),
        ("use_normalizer", c_int32),
        ("normalizer", c_double),
        ("num_threads", c_int32),
        ("accumulate_grad", c_int32),
        ("precision", c_uint32),
        ("ignore_index", c_int64),
        ("poly1_epsilon", c_double),
    ]


class SoftmaxOptions(ctypes.Structure):
    """focal_softmax_options, version 3."""

    _fields_ = [
        ("version", c_uint32),
        ("reduction", c_uint32),
        ("gamma", c_double),
        ("alpha", POINTER(c_double)),
        ("ignore_index", c_int64),
        ("label_smoothing", c_double),
        ("use_normalizer", c_int32),
        ("normalizer", c_double),
        ("num_threads", c_int32),
        ("accumulate_grad", c_int32),
        ("precision", c_uint32),
        ("poly1_epsilon", c_double),
    ]


class SigmoidStarOptions(ctypes.Structure):
    """focal_sigmoid_star_options, version 1."""

    _fields_ = [
        ("version", c_uint32),
        ("reduction", c_uint32),
        ("alpha", c_double),
        ("gamma", c_double),
        ("beta", c_double),
        ("use_normalizer", c_int32),
        ("normalizer", c_double),
        ("num_threads", c_int32),
        ("accumulate_grad", c_int32),
        ("precision", c_uint32),
    ]


class AsymmetricOptions(ctypes.Structure):
    """focal_asymmetric_options, version 1."""

    _fields_ = [
        ("version", c_uint32),
        ("reduction", c_uint32),
        ("gamma_pos", c_double),
        ("gamma_neg", c_double),
        ("margin", c_double),
        ("use_normalizer", c_int32),
        ("normalizer", c_double),
        ("num_threads", c_int32),
        ("accumulate_grad", c_int32),
        ("precision", c_uint32),
    ]


class QualityOptions(ctypes.Structure):
    """focal_quality_options, version 1."""

    _fields_ = [
        ("version", c_uint32),
        ("reduction", c_uint32),
        ("beta", c_double),
        ("use_normalizer", c_int32),
        ("normalizer", c_double),
        ("num_threads", c_int32),
        ("accumulate_grad", c_int32),
        ("precision", c_uint32),
    ]


class VarifocalOptions(ctypes.Structure):
    """focal_varifocal_options, version 1."""

    _fields_ = [
        ("version", c_uint32),
        ("reduction", c_uint32),
        ("alpha", c_double),
        ("gamma", c_double),
        ("iou_weighted", c_int32),
        ("use_normalizer", c_int32),
        ("normalizer", c_double),
        ("num_threads", c_int32),
        ("accumulate_grad", c_int32),
        ("precision", c_uint32),
    ]


class FocalStats(ctypes.Structure):
    """focal_stats, version 1."""

    _fields_ = [
        ("version", c_uint32),
        ("positives", c_double),
        ("weight_sum", c_double),
        ("divisor", c_double),
    ]


# The C functions' name suffix for each array dtype. bfloat16 arrays come as their uint16 views
# (ml_dtypes' bfloat16 dtype refuses the buffer protocol, and the extension reads buffers; both
# backends take the same arrays): here uint16 storage is bfloat16.
_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
           np.dtype(np.float16): "f16", np.dtype(np.uint16): "bf16",
           np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}
_STORAGE = [np.dtype(t) for t in (np.float32, np.float64, np.float16, np.uint16)]

#: The focal family, by the front end's `kind` (_frontend.SIGMOID_STAR, ASYMMETRIC, QUALITY,
#: VARIFOCAL): (kind, options Structure, C name stem, and a function of the parameters
#: sigmoid_family takes, (p0, p1, p2, flag), giving the loss's own options fields in order).
_FAMILY = [
    (0, SigmoidStarOptions, "sigmoid_star", lambda p0, p1, p2, flag: (p0, p1, p2)),
    (1, AsymmetricOptions, "asymmetric", lambda p0, p1, p2, flag: (p0, p1, p2)),
    (2, QualityOptions, "quality", lambda p0, p1, p2, flag: (p0,)),
    (3, VarifocalOptions, "varifocal", lambda p0, p1, p2, flag: (p0, p1, flag)),
]


def _load():
    path = _library.find()
    lib = ctypes.CDLL(path)
    lib.focal_version_number.argtypes = []
    lib.focal_version_number.restype = c_uint32
    found = lib.focal_version_number()
    if found != VERSION_NUMBER:
        raise ImportError(
            "focalloss: %s has version number %d but this package needs %d" % (path, found, VERSION_NUMBER)
        )
    lib.focal_last_error_message.argtypes = []
    lib.focal_last_error_message.restype = c_char_p
    lib.focal_status_string.argtypes = [ctypes.c_int]
    lib.focal_status_string.restype = c_char_p
    lib.focal_version_string.argtypes = []
    lib.focal_version_string.restype = c_char_p
    lib.focal_sigmoid_options_init.argtypes = [POINTER(SigmoidOptions), c_uint32]
    lib.focal_sigmoid_options_init.restype = ctypes.c_int
    lib.focal_softmax_options_init.argtypes = [POINTER(SoftmaxOptions), c_uint32]
    lib.focal_softmax_options_init.restype = ctypes.c_int
    for _, options, stem, _ in _FAMILY:
        f = getattr(lib, "focal_%s_options_init" % stem)
        f.argtypes = [POINTER(options), c_uint32]
        f.restype = ctypes.c_int
    # Array arguments are declared c_void_p and passed as addresses (`ndarray.ctypes.data`):
    # the front end has already matched every dtype to the function's name, and building typed
    # pointers with `data_as` costs a few microseconds per array per call.
    functions = {}
    for dtype in _STORAGE:
        f = getattr(lib, "focal_sigmoid_" + _SUFFIX[dtype])
        f.argtypes = [POINTER(SigmoidOptions), c_int64] + [c_void_p] * 5
        f.restype = ctypes.c_int
        functions[("sigmoid", dtype)] = f
        for target in (np.dtype(np.int32), np.dtype(np.int64)):
            f = getattr(lib, "focal_sigmoid_labels_%s_%s" % (_SUFFIX[dtype], _SUFFIX[target]))
            f.argtypes = [POINTER(SigmoidOptions), c_int64, c_int64, c_int64] + [c_void_p] * 5
            f.restype = ctypes.c_int
            functions[("sigmoid_labels", dtype, target)] = f
            f = getattr(lib, "focal_softmax_%s_%s" % (_SUFFIX[dtype], _SUFFIX[target]))
            f.argtypes = [POINTER(SoftmaxOptions), c_int64, c_int64, c_int64] + [c_void_p] * 5
            f.restype = ctypes.c_int
            functions[("softmax", dtype, target)] = f
        # The _weighted functions: (options, batch, classes, inner, logits, targets, weights,
        # [weights_layout,] grad_loss, loss, grad_logits, stats).
        f = getattr(lib, "focal_sigmoid_weighted_" + _SUFFIX[dtype])
        f.argtypes = [POINTER(SigmoidOptions), c_int64, c_int64, c_int64] + [c_void_p] * 3 + [ctypes.c_int] + \
            [c_void_p] * 3 + [POINTER(FocalStats)]
        f.restype = ctypes.c_int
        functions[("sigmoid_weighted", dtype)] = f
        for target in (np.dtype(np.int32), np.dtype(np.int64)):
            f = getattr(lib, "focal_sigmoid_labels_weighted_%s_%s" % (_SUFFIX[dtype], _SUFFIX[target]))
            f.argtypes = [POINTER(SigmoidOptions), c_int64, c_int64, c_int64] + [c_void_p] * 3 + [ctypes.c_int] + \
                [c_void_p] * 3 + [POINTER(FocalStats)]
            f.restype = ctypes.c_int
            functions[("sigmoid_labels_weighted", dtype, target)] = f
            f = getattr(lib, "focal_softmax_weighted_%s_%s" % (_SUFFIX[dtype], _SUFFIX[target]))
            f.argtypes = [POINTER(SoftmaxOptions), c_int64, c_int64, c_int64] + [c_void_p] * 6 + [POINTER(FocalStats)]
            f.restype = ctypes.c_int
            functions[("softmax_weighted", dtype, target)] = f
        # The focal family: the _weighted signature, each with its own options struct.
        for kind, options, stem, _ in _FAMILY:
            f = getattr(lib, "focal_%s_%s" % (stem, _SUFFIX[dtype]))
            f.argtypes = [POINTER(options), c_int64, c_int64, c_int64] + [c_void_p] * 3 + [ctypes.c_int] + \
                [c_void_p] * 3 + [POINTER(FocalStats)]
            f.restype = ctypes.c_int
            functions[("sigmoid_family", kind, dtype)] = f
    # Gradient and Hessian (gradient boosting), float32 and float64 only: (options, hessian, batch,
    # classes, inner, logits, targets, weights, [weights_layout,] grad, hess); the starting margins:
    # (options, batch, classes, inner, targets, weights, [weights_layout,] scores).
    for dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        f = getattr(lib, "focal_sigmoid_grad_hess_" + _SUFFIX[dtype])
        f.argtypes = [POINTER(SigmoidOptions), ctypes.c_int, c_int64, c_int64, c_int64] + [c_void_p] * 3 + \
            [ctypes.c_int] + [c_void_p] * 2
        f.restype = ctypes.c_int
        functions[("sigmoid_grad_hess", dtype)] = f
        f = getattr(lib, "focal_sigmoid_init_score_" + _SUFFIX[dtype])
        f.argtypes = [POINTER(SigmoidOptions), c_int64, c_int64, c_int64] + [c_void_p] * 2 + [ctypes.c_int, c_void_p]
        f.restype = ctypes.c_int
        functions[("sigmoid_init_score", dtype)] = f
        for target in (np.dtype(np.int32), np.dtype(np.int64)):
            f = getattr(lib, "focal_softmax_grad_hess_%s_%s" % (_SUFFIX[dtype], _SUFFIX[target]))
            f.argtypes = [POINTER(SoftmaxOptions), ctypes.c_int, c_int64, c_int64, c_int64] + [c_void_p] * 5
            f.restype = ctypes.c_int
            functions[("softmax_grad_hess", dtype, target)] = f
    for target in (np.dtype(np.int32), np.dtype(np.int64)):
        f = getattr(lib, "focal_softmax_init_score_f64_" + _SUFFIX[target])
        f.argtypes = [POINTER(SoftmaxOptions), c_int64, c_int64, c_int64] + [c_void_p] * 3
        f.restype = ctypes.c_int
        functions[("softmax_init_score", target)] = f
    return lib, functions


_lib, _functions = _load()

#: Struct versions this module's Structures describe (FOCAL_*_OPTIONS_VERSION, FOCAL_STATS_VERSION).
_SIGMOID_VERSION = 4
_SOFTMAX_VERSION = 3
_FAMILY_VERSION = 1
_STATS_VERSION = 1


def version_number():
    return _lib.focal_version_number()


def _address(array):
    """The address of a contiguous array's data, or NULL for None."""
    return None if array is None else array.ctypes.data


def _result(status):
    if status == 0:
        return 0, None
    return status, _lib.focal_last_error_message().decode("utf-8", "replace")


def _stats(stats):
    """A focal_stats to pass for the float64 array `stats`, or None (NULL)."""
    return None if stats is None else FocalStats(_STATS_VERSION, 0.0, 0.0, 0.0)


def _weighted_result(status, report, stats):
    """(status, message), copying the library's report into `stats` on success."""
    if status == 0 and stats is not None:
        stats[0], stats[1], stats[2] = report.positives, report.weight_sum, report.divisor
    return _result(status)


def sigmoid(logits, targets, grad_loss, loss, grad, reduction, alpha, gamma, use_normalizer, normalizer,
            num_threads, precision, poly1_epsilon):
    options = SigmoidOptions(_SIGMOID_VERSION, reduction, alpha, gamma, use_normalizer, normalizer, num_threads, 0,
                             precision, -100, poly1_epsilon)
    function = _functions[("sigmoid", logits.dtype)]
    status = function(ctypes.byref(options), logits.size, _address(logits), _address(targets), _address(grad_loss),
                      _address(loss), _address(grad))
    return _result(status)


def softmax(logits, targets, batch, classes, inner, grad_loss, loss, grad, reduction, gamma, alpha, ignore_index,
            label_smoothing, use_normalizer, normalizer, num_threads, precision, poly1_epsilon):
    weights = None if alpha is None else alpha.ctypes.data_as(POINTER(c_double))
    options = SoftmaxOptions(_SOFTMAX_VERSION, reduction, gamma, weights, ignore_index, label_smoothing, use_normalizer,
                             normalizer, num_threads, 0, precision, poly1_epsilon)
    function = _functions[("softmax", logits.dtype, targets.dtype)]
    status = function(ctypes.byref(options), batch, classes, inner, _address(logits), _address(targets),
                      _address(grad_loss), _address(loss), _address(grad))
    return _result(status)


def sigmoid_labels(logits, labels, batch, classes, inner, grad_loss, loss, grad, reduction, alpha, gamma, ignore_index,
                   use_normalizer, normalizer, num_threads, precision, poly1_epsilon):
    options = SigmoidOptions(_SIGMOID_VERSION, reduction, alpha, gamma, use_normalizer, normalizer, num_threads, 0,
                             precision, ignore_index, poly1_epsilon)
    function = _functions[("sigmoid_labels", logits.dtype, labels.dtype)]
    status = function(ctypes.byref(options), batch, classes, inner, _address(logits), _address(labels),
                      _address(grad_loss), _address(loss), _address(grad))
    return _result(status)


def sigmoid_weighted(logits, targets, batch, classes, inner, weights, layout, grad_loss, loss, grad, stats, reduction,
                     alpha, gamma, use_normalizer, normalizer, num_threads, precision, poly1_epsilon):
    options = SigmoidOptions(_SIGMOID_VERSION, reduction, alpha, gamma, use_normalizer, normalizer, num_threads, 0,
                             precision, -100, poly1_epsilon)
    report = _stats(stats)
    function = _functions[("sigmoid_weighted", logits.dtype)]
    status = function(ctypes.byref(options), batch, classes, inner, _address(logits), _address(targets),
                      _address(weights), layout, _address(grad_loss), _address(loss), _address(grad),
                      None if report is None else ctypes.byref(report))
    return _weighted_result(status, report, stats)


def sigmoid_labels_weighted(logits, labels, batch, classes, inner, weights, layout, grad_loss, loss, grad, stats,
                            reduction, alpha, gamma, ignore_index, use_normalizer, normalizer, num_threads, precision,
                            poly1_epsilon):
    options = SigmoidOptions(_SIGMOID_VERSION, reduction, alpha, gamma, use_normalizer, normalizer, num_threads, 0,
                             precision, ignore_index, poly1_epsilon)
    report = _stats(stats)
    function = _functions[("sigmoid_labels_weighted", logits.dtype, labels.dtype)]
    status = function(ctypes.byref(options), batch, classes, inner, _address(logits), _address(labels),
                      _address(weights), layout, _address(grad_loss), _address(loss), _address(grad),
                      None if report is None else ctypes.byref(report))
    return _weighted_result(status, report, stats)


def softmax_weighted(logits, targets, batch, classes, inner, weights, grad_loss, loss, grad, stats, reduction, gamma,
                     alpha, ignore_index, label_smoothing, use_normalizer, normalizer, num_threads, precision,
                     poly1_epsilon):
    class_weights = None if alpha is None else alpha.ctypes.data_as(POINTER(c_double))
    options = SoftmaxOptions(_SOFTMAX_VERSION, reduction, gamma, class_weights, ignore_index, label_smoothing,
                             use_normalizer, normalizer, num_threads, 0, precision, poly1_epsilon)
    report = _stats(stats)
    function = _functions[("softmax_weighted", logits.dtype, targets.dtype)]
    status = function(ctypes.byref(options), batch, classes, inner, _address(logits), _address(targets),
                      _address(weights), _address(grad_loss), _address(loss), _address(grad),
                      None if report is None else ctypes.byref(report))
    return _weighted_result(status, report, stats)


def sigmoid_family(kind, logits, targets, batch, classes, inner, weights, layout, grad_loss, loss, grad, stats,
                   reduction, p0, p1, p2, flag, use_normalizer, normalizer, num_threads, precision):
    """One of the focal family (`kind`, see _FAMILY) with its parameters (p0, p1, p2, flag): FL*
    (alpha, gamma, beta), asymmetric (gamma_pos, gamma_neg, margin), quality (beta), varifocal
    (alpha, gamma, iou_weighted = flag)."""
    if not 0 <= kind < len(_FAMILY):
        raise ValueError("sigmoid_family: unknown kind %r" % (kind,))
    _, structure, _, own = _FAMILY[kind]
    options = structure(_FAMILY_VERSION, reduction, *own(p0, p1, p2, flag), use_normalizer, normalizer,
                        num_threads, 0, precision)
    report = _stats(stats)
    function = _functions[("sigmoid_family", kind, logits.dtype)]
    status = function(ctypes.byref(options), batch, classes, inner, _address(logits), _address(targets),
                      _address(weights), layout, _address(grad_loss), _address(loss), _address(grad),
                      None if report is None else ctypes.byref(report))
    return _weighted_result(status, report, stats)


def sigmoid_grad_hess(logits, targets, batch, classes, inner, weights, layout, grad, hess, hessian, alpha, gamma,
                      num_threads, precision):
    options = SigmoidOptions(_SIGMOID_VERSION, 0, alpha, gamma, 0, 0.0, num_threads, 0, precision, -100)
    function = _functions[("sigmoid_grad_hess", logits.dtype)]
    status = function(ctypes.byref(options), hessian, batch, classes, inner, _address(logits), _address(targets),
                      _address(weights), layout, _address(grad), _address(hess))
    return _result(status)


def softmax_grad_hess(logits, targets, batch, classes, inner, weights, grad, hess, hessian, gamma, alpha, ignore_index,
                      num_threads, precision):
    class_weights = None if alpha is None else alpha.ctypes.data_as(POINTER(c_double))
    options = SoftmaxOptions(_SOFTMAX_VERSION, 0, gamma, class_weights, ignore_index, 0.0, 0, 0.0, num_threads, 0,
                             precision)
    function = _functions[("softmax_grad_hess", logits.dtype, targets.dtype)]
    status = function(ctypes.byref(options), hessian, batch, classes, inner, _address(logits), _address(targets),
                      _address(weights), _address(grad), _address(hess))
    return _result(status)


def sigmoid_init_score(targets, batch, classes, inner, weights, layout, scores, alpha, gamma, num_threads):
    options = SigmoidOptions(_SIGMOID_VERSION, 0, alpha, gamma, 0, 0.0, num_threads, 0, 0, -100)
    function = _functions[("sigmoid_init_score", targets.dtype)]
    status = function(ctypes.byref(options), batch, classes, inner, _address(targets), _address(weights), layout,
                      _address(scores))
    return _result(status)


def softmax_init_score(targets, batch, classes, inner, weights, scores, gamma, alpha, ignore_index, num_threads):
    class_weights = None if alpha is None else alpha.ctypes.data_as(POINTER(c_double))
    options = SoftmaxOptions(_SOFTMAX_VERSION, 0, gamma, class_weights, ignore_index, 0.0, 0, 0.0, num_threads, 0, 0)
    function = _functions[("softmax_init_score", targets.dtype)]
    status = function(ctypes.byref(options), batch, classes, inner, _address(targets), _address(weights),
                      _address(scores))
    return _result(status)
