"""What the XGBoost and LightGBM adapters (focalloss.xgboost, focalloss.lightgbm) share.

Both libraries hand a custom objective or metric the raw margins and their own data set (an
xgboost.DMatrix or a lightgbm.Dataset), and their scikit-learn estimators hand it the labels, the
margins and the sample weights instead; each adapter's callables take either call. Nothing here
imports xgboost or lightgbm: a data set is known by its get_label method, so the callables also
work on plain numpy arrays, without either library installed.

The margins keep their dtype (XGBoost's are float32, LightGBM's float64); the labels and weights
are read as that dtype, as the library's functions require. The loss's arguments are checked
once, when an objective or metric is made, by a call on one element: a bad alpha, gamma, hessian
or precision raises there with the library's message, not in the middle of training.
"""

import numpy as np

import focalloss

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class _Default:
    """The default alpha of ``objective`` and ``metric``: 0.25 for the sigmoid, None for the softmax."""

    def __repr__(self):
        return "default"


DEFAULT_ALPHA = _Default()


def family(num_class, alpha):
    """("sigmoid" or "softmax", alpha) of ``objective(..., num_class=)``: the sigmoid for None or 1
    (binary and multi-label models), the softmax for C >= 2 (multiclass), each with its alpha default."""
    if num_class is not None:
        if isinstance(num_class, bool) or not isinstance(num_class, (int, np.integer)):
            raise TypeError("num_class must be None or an integer, got %s" % type(num_class).__name__)
        if num_class < 1:
            raise ValueError("num_class = %d must be >= 1" % num_class)
    if num_class is None or num_class == 1:
        return "sigmoid", 0.25 if alpha is DEFAULT_ALPHA else alpha
    return "softmax", None if alpha is DEFAULT_ALPHA else alpha


def is_data_set(value):
    """An xgboost.DMatrix or a lightgbm.Dataset (anything with get_label), not an array."""
    return hasattr(value, "get_label")


def _margins(value):
    if not isinstance(value, np.ndarray):
        raise TypeError("the predictions must be a numpy.ndarray of raw margins, got %s" % type(value).__name__)
    if value.dtype not in _FLOATS:
        raise TypeError("the predictions must have dtype float32 or float64, got %s" % value.dtype)
    if value.ndim not in (1, 2):
        raise ValueError("the predictions must have shape (N,) or (N, C), got %s" % (value.shape,))
    return value


def _weights(value, rows, dtype):
    """None (no weights; XGBoost's empty array, LightGBM's None) or one weight per row."""
    if value is None:
        return None
    weights = np.asarray(value)
    if weights.size == 0:
        return None
    if weights.shape != (rows,):
        raise ValueError("the sample weights must have shape (%d,), one per row, got %s" % (rows, weights.shape))
    return weights.astype(dtype, copy=False)


def _class_labels(value, rows, classes):
    """The labels as int64 class indices in [0, C): checked here, so that no label is silently
    taken for the library's ignore_index."""
    labels = np.asarray(value)
    if labels.size != rows:
        raise ValueError("a softmax objective needs one class index per row: %d labels for predictions of shape "
                         "(%d, %d)" % (labels.size, rows, classes))
    labels = labels.reshape(rows)
    indices = labels.astype(np.int64)
    bad = np.flatnonzero((indices != labels) | (indices < 0) | (indices >= classes))
    if bad.size:
        raise ValueError("labels must be class indices in [0, %d): label[%d] = %r"
                         % (classes, bad[0], labels[bad[0]].item()))
    return indices


def _sigmoid_targets(value, margins):
    """The labels as targets of the margins' shape and dtype: (N,) for a binary problem, (N, C)
    (or N * C values, row by row) for a multi-label one."""
    targets = np.asarray(value)
    if targets.size != margins.size:
        hint = (" (a multiclass model: use softmax_objective and softmax_metric)"
                if margins.ndim == 2 and targets.size == margins.shape[0] else "")
        raise ValueError("a sigmoid objective needs one label per prediction: %d labels for predictions of shape %s%s"
                         % (targets.size, margins.shape, hint))
    return targets.reshape(margins.shape).astype(margins.dtype, copy=False)


def _softmax_margins(value):
    margins = _margins(value)
    if margins.ndim != 2 or margins.shape[1] < 2:
        raise ValueError("a softmax objective needs predictions of shape (N, C) with C >= 2 classes, got %s (set "
                         "num_class; for a binary model use sigmoid_objective)" % (margins.shape,))
    return margins


class FocalLoss:
    """The loss's arguments, checked once, and the two computations the adapters make with them:
    the objective's gradient and Hessian, and the metric's mean."""

    def __init__(self, kind, alpha, gamma, hessian, precision, num_threads):
        self.kind = kind
        self.alpha = alpha
        self.gamma = gamma
        self.hessian = hessian
        self.precision = precision
        self.num_threads = num_threads
        # One element through the library: its checks and messages, before any training.
        if kind == "sigmoid":
            one = np.zeros(1)
            focalloss.sigmoid_focal_grad_hess(one, one, alpha, gamma, **self._options())
            focalloss.sigmoid_focal_loss(one, one, alpha, gamma, num_threads=num_threads)
        else:
            classes = len(alpha) if hasattr(alpha, "__len__") else 2
            focalloss.softmax_focal_grad_hess(np.zeros((1, classes)), np.zeros(1, np.int64), alpha, gamma,
                                              **self._options())

    def _options(self):
        options = {"precision": self.precision, "num_threads": self.num_threads}
        if self.hessian is not None:
            options["hessian"] = self.hessian
        return options

    def grad_hess(self, predictions, labels, weights):
        """(grad, hess) of the predictions' shape, memory order and dtype."""
        if self.kind == "sigmoid":
            margins = _margins(predictions)
            targets = _sigmoid_targets(labels, margins)
            w = _weights(weights, margins.shape[0], margins.dtype)
            return focalloss.sigmoid_focal_grad_hess(margins, targets, self.alpha, self.gamma, weights=w,
                                                     **self._options())
        margins = _softmax_margins(predictions)
        rows, classes = margins.shape
        y = _class_labels(labels, rows, classes)
        w = _weights(weights, rows, margins.dtype)
        if margins.flags.c_contiguous or not margins.T.flags.c_contiguous:
            return focalloss.softmax_focal_grad_hess(margins, y, self.alpha, self.gamma, weights=w, layout="row",
                                                     **self._options())
        # LightGBM's (N, C) is a view of its class-major (C, N) scores: hand the library that
        # buffer as it is, and give the results back as the same kind of view.
        grad, hess = focalloss.softmax_focal_grad_hess(margins.T, y, self.alpha, self.gamma, weights=w,
                                                       layout="class", **self._options())
        return grad.T, hess.T

    def mean(self, predictions, labels, weights):
        """The weighted mean loss as a Python float: sum(w * loss) / sum(w) over the rows (over
        every element for a multi-label sigmoid, a row's weight counting once per label), the
        mean XGBoost's logloss and mlogloss and LightGBM's binary_logloss and multi_logloss take.
        alpha weighs the losses, not the divisor. In float64 whatever the margins' dtype."""
        if self.kind == "sigmoid":
            margins = _margins(predictions).astype(np.float64)
            targets = _sigmoid_targets(labels, margins)
            w = _weights(weights, margins.shape[0], np.float64)
            total = focalloss.sigmoid_focal_loss(margins, targets, self.alpha, self.gamma, reduction="sum",
                                                 weights=w, num_threads=self.num_threads)
            count = margins.size if w is None else float(np.sum(w)) * (margins.size // margins.shape[0])
        else:
            margins = _softmax_margins(predictions).astype(np.float64)
            y = _class_labels(labels, margins.shape[0], margins.shape[1])
            w = _weights(weights, margins.shape[0], np.float64)
            total = focalloss.softmax_focal_loss(margins, y, self.alpha, self.gamma, reduction="sum", weights=w,
                                                 num_threads=self.num_threads)
            count = margins.shape[0] if w is None else float(np.sum(w))
        return float(total) / count if count > 0 else float("nan")

    def describe(self):
        text = "%s, alpha=%r, gamma=%r" % (self.kind, self.alpha, self.gamma)
        if self.hessian is not None:
            text += ", hessian=%r" % self.hessian
        return text
