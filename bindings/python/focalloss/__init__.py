"""focalloss: the focal loss and its gradient, exact and fused, on numpy arrays.

    import focalloss
    loss = focalloss.sigmoid_focal_loss(logits, targets)                  # torchvision's defaults
    loss, grad = focalloss.softmax_focal_loss(logits, labels, gamma=2.0, return_grad=True)
    loss, stats = focalloss.sigmoid_focal_loss(logits, targets, weights=w, return_stats=True)
    loss = focalloss.asymmetric_loss(logits, targets, reduction="sum")    # and FL*, QFL, VFL, Poly-1

Two backends behave identically, bit for bit: ``extension`` (a CPython extension that
releases the GIL) and ``ctypes``. ``FOCALLOSS_BACKEND=ctypes|extension`` picks one; the
default is the extension when it is built. ``focalloss.backend`` says which is live.

Logits may be float32, float64, float16, or bfloat16 as ``ml_dtypes.bfloat16`` (the package
needs numpy only and never imports ml_dtypes: a bfloat16 array exists only where it is loaded).
"""

import os as _os

from . import _frontend
from ._frontend import FocalStats
from ._version import VERSION_NUMBER as _VERSION_NUMBER, __version__


def _load_backend():
    choice = _os.environ.get("FOCALLOSS_BACKEND", "")
    if choice not in ("", "ctypes", "extension"):
        raise ImportError("FOCALLOSS_BACKEND=%r: expected 'ctypes' or 'extension'" % choice)
    if choice in ("", "extension"):
        try:
            from . import _ext
        except ImportError:
            if choice == "extension":
                raise
        else:
            if _ext.version_number() != _VERSION_NUMBER:
                raise ImportError("focalloss: the library has version number %d but this package needs %d"
                                  % (_ext.version_number(), _VERSION_NUMBER))
            return _ext
    from . import _ctypes_backend

    return _ctypes_backend


_backend = _load_backend()

#: The live backend: "extension" or "ctypes".
backend = _backend.name

# The extension's plain-call paths (its _ext.c, "Plain calls"): the whole call in C for plain
# numpy arguments, NotImplemented for anything else, which the front end then takes. Calls with
# weights or return_stats go to the front end directly.
_sigmoid_plain = getattr(_backend, "sigmoid_plain", None)
_softmax_plain = getattr(_backend, "softmax_plain", None)


def sigmoid_focal_loss(logits, targets, alpha=0.25, gamma=2.0, reduction="none", *, normalizer=None,
                       return_grad=False, num_threads=None, precision="exact", weights=None, return_stats=False,
                       poly1_epsilon=0.0):
    """Sigmoid focal loss (binary and multi-label), as ``torchvision.ops.sigmoid_focal_loss``.

    Per element, with ``p = sigmoid(x)`` and target ``t`` in [0, 1] (hard 0/1 or soft)::

        p_t     = p t + (1 - p)(1 - t)
        alpha_t = alpha t + (1 - alpha)(1 - t)        (1 when alpha is None or -1)
        loss    = alpha_t * BCEWithLogits(x, t) * (1 - p_t) ** gamma

    computed in log space: finite and accurate for every finite logit and every gamma >= 0. With
    ``weights``, element j's loss and gradient are ``w_j`` times these (a weight of 0 gives 0
    whatever the logit, NaN and infinities included). With ``poly1_epsilon`` it is the Poly-1
    focal loss (Leng et al., ICLR 2022)::

        loss = alpha_t * BCEWithLogits(x, t) * (1 - p_t) ** gamma + poly1_epsilon * (1 - p_t) ** (gamma + 1)

    Args:
        logits: numpy array of float16, bfloat16 (``ml_dtypes.bfloat16``), float32 or float64, any
            shape. float16 and bfloat16 results are within 1 ulp of their type (computed wider,
            rounded once).
        targets: array of the logits' shape and dtype, values in [0, 1].
        alpha: weight of the positives in [0, 1]; None or -1 disables weighting. Default 0.25.
        gamma: focusing parameter, any real >= 0. Default 2.
        reduction: "none" (one loss per element, default), "sum", or "mean" (sum / element count,
            with or without weights, as ``binary_cross_entropy_with_logits(weight=)``).
        normalizer: positive number replacing the mean's divisor (e.g. the number of positive
            anchors); only with reduction="mean".
        return_grad: also return the gradient of the returned loss (of its sum for "none")
            with respect to ``logits``, same shape and dtype.
        num_threads: None or 0 for the library default, 1 for the calling thread only. Results
            are bitwise identical for every value.
        precision: "exact" (default: float32 results within 2 ulps, arithmetic in double) or
            "fast" (float32 arithmetic for float32 logits with hard targets, within 16 ulps for
            gamma <= 5; every other guarantee kept; float64 and soft targets compute as
            "exact"). See docs/accuracy.md.
        weights: None (every weight 1: the unweighted results, bit for bit) or an array of the
            logits' dtype, each finite and >= 0, of the logits' shape (one weight per element) or,
            for logits of 2 or more dimensions, of shape (N, d1, ..., dk) (one weight per
            position, the same for every class on axis 1).
        return_stats: also return a ``FocalStats``: positives (the sum of the targets),
            weight_sum (the sum of every element's weight) and divisor (the mean's divisor or the
            normalizer for "mean", 1.0 otherwise).
        poly1_epsilon: the Poly-1 coefficient (the paper's epsilon), finite and
            >= -1 / (gamma + 1) (the bound that keeps the loss >= 0 without alpha); alpha_t weighs
            the focal term only, as in the paper's code. 0 (the default) is the focal loss, bit
            for bit.

    Returns:
        The loss: an array of the logits' shape for "none", otherwise a numpy scalar of the
        logits' dtype; ``(loss, grad)`` with ``return_grad=True``; the ``FocalStats`` appended
        with ``return_stats=True``: ``(loss, stats)`` or ``(loss, grad, stats)``.

    Raises:
        TypeError: an argument of the wrong type, or an array of the wrong dtype (nothing is
            converted to another dtype).
        ValueError: a wrong shape, an unknown reduction, or a value out of range (alpha, gamma,
            normalizer, poly1_epsilon, a target outside [0, 1], a weight negative, NaN or
            infinite, num_threads < 0, an unknown precision), with the library's message.
    """
    if _sigmoid_plain is not None and weights is None and return_stats is False:
        result = _sigmoid_plain(logits, targets, alpha, gamma, reduction, normalizer, return_grad, num_threads,
                                precision, weights, return_stats, poly1_epsilon)
        if result is not NotImplemented:
            return result
    return _frontend.sigmoid_focal_loss(_backend, logits, targets, alpha, gamma, reduction, normalizer=normalizer,
                                        return_grad=return_grad, num_threads=num_threads, precision=precision,
                                        weights=weights, return_stats=return_stats, poly1_epsilon=poly1_epsilon)


def sigmoid_focal_loss_from_labels(logits, labels, alpha=0.25, gamma=2.0, reduction="none", *, ignore_index=-100,
                                   normalizer=None, return_grad=False, num_threads=None, precision="exact",
                                   weights=None, return_stats=False, poly1_epsilon=0.0):
    """Sigmoid focal loss from integer labels (mmdet's and mmcv's convention), without a one-hot.

    Each position's label ``y`` makes class ``y`` its positive and every other class
    negative; ``y = C`` is background (every class negative); ``y = ignore_index`` leaves the
    position out (its elements' loss and gradient are 0, and the mean does not count them).
    The result is ``sigmoid_focal_loss`` on the one-hot targets with the ignored positions'
    elements removed, bit for bit, for every reduction.

    Args:
        logits: numpy array of float16, bfloat16 (``ml_dtypes.bfloat16``), float32 or float64 of
            shape (N, C) or (N, C, d1, ..., dk).
        labels: int64 or int32 array of shape (N,) or (N, d1, ..., dk), each in [0, C] or
            equal to ignore_index.
        alpha, gamma, reduction, normalizer, return_grad, num_threads, precision: as for
            ``sigmoid_focal_loss``; "mean" divides by the kept elements' count
            (positions not ignored times C).
        ignore_index: labels with this value leave their position out. Default -100.
        weights: None or an array of the logits' dtype, each finite and >= 0, of the logits'
            shape (one weight per element) or the labels' shape (one per position): each kept
            element's loss and gradient times its weight; "mean" still divides by the kept
            elements' count. An ignored position's weights are neither read nor checked.
        return_stats: also return a ``FocalStats``: positives (the positions whose label is a
            class in [0, C)), weight_sum (the kept elements' weights) and divisor (the mean's
            divisor or the normalizer for "mean", 1.0 otherwise).
        poly1_epsilon: the Poly-1 coefficient, as for ``sigmoid_focal_loss``. Default 0.

    Returns:
        The loss: an array of the logits' shape for "none", otherwise a numpy scalar of the
        logits' dtype; ``(loss, grad)`` with ``return_grad=True``; the ``FocalStats`` appended
        with ``return_stats=True``.

    Raises:
        TypeError: wrong argument types or dtypes (float16/bfloat16/float32/float64 logits,
            int32/int64 labels, weights of another dtype than the logits').
        ValueError: wrong shapes, an unknown reduction, or a value out of range (a label outside
            [0, C] that is not ignore_index, alpha, gamma, normalizer, poly1_epsilon, a weight
            negative, NaN or infinite, num_threads < 0, an unknown precision), with the library's
            message.
    """
    return _frontend.sigmoid_focal_loss_from_labels(
        _backend, logits, labels, alpha, gamma, reduction, ignore_index=ignore_index, normalizer=normalizer,
        return_grad=return_grad, num_threads=num_threads, precision=precision, weights=weights,
        return_stats=return_stats, poly1_epsilon=poly1_epsilon)


def softmax_focal_loss(logits, targets, alpha=None, gamma=2.0, reduction="mean", *, ignore_index=-100,
                       label_smoothing=0.0, normalizer=None, return_grad=False, num_threads=None,
                       precision="exact", weights=None, return_stats=False, poly1_epsilon=0.0):
    """Softmax focal loss (multi-class). At gamma = 0 it is exactly
    ``torch.nn.functional.cross_entropy(x, y, weight=alpha, ignore_index=..., label_smoothing=...,
    reduction=...)``.

    With ``p = softmax(x)`` over axis 1, weights ``a_c`` (alpha, or 1) and
    ``q_c = (1 - eps) [c == y] + eps / C``, per target position::

        loss = - sum_c a_c q_c (1 - p_c) ** gamma log p_c

    and 0 where the target equals ``ignore_index``. With ``poly1_epsilon`` (and no label smoothing)
    it is the Poly-1 focal loss (Leng et al., ICLR 2022)::

        loss = - a_y (1 - p_y) ** gamma log p_y + poly1_epsilon (1 - p_y) ** (gamma + 1)

    Args:
        logits: numpy array of float16, bfloat16 (``ml_dtypes.bfloat16``), float32 or float64 of
            shape (N, C) or (N, C, d1, ..., dk).
        targets: int64 or int32 class indices of shape (N,) or (N, d1, ..., dk), each in
            [0, C) or equal to ignore_index.
        alpha: None (every class weighs 1, default) or a sequence of C class weights, each finite
            and >= 0 (cross_entropy's ``weight``). kornia's scalar a is [1 - a, a, ..., a].
        gamma: focusing parameter, any real >= 0. Default 2.
        reduction: "mean" (default: sum / sum of weight * alpha[y] over non-ignored targets, i.e.
            their count without alpha and weights), "sum", or "none" (one loss per target position).
        ignore_index: targets with this value contribute 0 and leave the mean's divisor.
            Default -100.
        label_smoothing: eps in [0, 1]. Default 0.
        normalizer: positive number replacing the mean's divisor; only with reduction="mean".
        return_grad: also return the gradient of the returned loss (of its sum for "none")
            with respect to ``logits``, same shape and dtype.
        num_threads: None or 0 for the library default, 1 for the calling thread only.
        precision: "exact" (default: float32 results within 2 ulps, arithmetic in double) or
            "fast" (float32 logits: the per-element exponentials and gradients in float32
            arithmetic, within 16 ulps for gamma <= 5; every other guarantee kept; float64 and
            label_smoothing > 0 compute as "exact"). See docs/accuracy.md.
        weights: None or an array of the logits' dtype and the targets' shape, each finite and
            >= 0: position (n, ...)'s loss and gradient times its weight (a per-sample weight; 0
            leaves the position out as ignore_index does). An ignored position's weight is
            neither read nor checked.
        return_stats: also return a ``FocalStats``: positives (the sum of weight * alpha[y] over
            the non-ignored positions, the mean's own divisor), weight_sum (the sum of their
            weights) and divisor (the mean's divisor or the normalizer for "mean", 1.0
            otherwise).
        poly1_epsilon: the Poly-1 coefficient, finite and >= -1 / (gamma + 1); alpha weighs the
            focal term only and the mean's divisor is unchanged. Needs label_smoothing = 0.
            0 (the default) is the focal loss, bit for bit.

    Returns:
        The loss: an array of the targets' shape for "none", otherwise a numpy scalar of the
        logits' dtype; ``(loss, grad)`` with ``return_grad=True``; the ``FocalStats`` appended
        with ``return_stats=True``. A mean over no target (all ignored, or zero total weight) is
        NaN, as in PyTorch.

    Raises:
        TypeError: wrong argument types or dtypes (float16/bfloat16/float32/float64 logits,
            int32/int64 targets, weights of another dtype than the logits').
        ValueError: wrong shapes, an unknown reduction, or a value out of range (a target
            outside [0, C), a negative class weight, gamma, label_smoothing, normalizer,
            poly1_epsilon (also any other than 0 with label_smoothing > 0), a weight negative,
            NaN or infinite, num_threads < 0, an unknown precision), with the library's message.
    """
    if _softmax_plain is not None and weights is None and return_stats is False:
        result = _softmax_plain(logits, targets, alpha, gamma, reduction, ignore_index, label_smoothing, normalizer,
                                return_grad, num_threads, precision, weights, return_stats, poly1_epsilon)
        if result is not NotImplemented:
            return result
    return _frontend.softmax_focal_loss(_backend, logits, targets, alpha, gamma, reduction, ignore_index=ignore_index,
                                        label_smoothing=label_smoothing, normalizer=normalizer,
                                        return_grad=return_grad, num_threads=num_threads, precision=precision,
                                        weights=weights, return_stats=return_stats, poly1_epsilon=poly1_epsilon)


# ---- The focal family: FL*, asymmetric, quality focal and varifocal losses ----------------------
#
# Four elementwise relatives of the sigmoid focal loss, with its calling conventions (dense
# targets in [0, 1], weights per element or per position, reductions, normalizer, gradient,
# statistics, the four storage types): one front-end path (_frontend.sigmoid_family) and one
# backend entry (sigmoid_family) serve them all.

_FAMILY_ARRAYS = """
        logits: numpy array of float16, bfloat16 (``ml_dtypes.bfloat16``), float32 or float64, any
            shape ((N, C, d1, ...) for per-position weights). float16 and bfloat16 results are
            within 1 ulp of their type (computed wider, rounded once).
        targets: array of the logits' shape and dtype, values in [0, 1]."""

_FAMILY_OPTIONS = """
        reduction: "none" (one loss per element, default), "sum", or "mean" (sum / element
            count).
        normalizer, return_grad, num_threads, weights, return_stats: as for
            ``sigmoid_focal_loss`` (a weight of 0 gives loss and gradient 0 whatever the logit;
            the statistics' positives are the sum of the targets).
        precision: "exact" or "fast"; these losses compute in double in both tiers, so "fast"
            gives the exact results (float32 within 2 ulps, float64 within 1e-10 relative)."""

_FAMILY_RETURNS = """
    Returns:
        The loss: an array of the logits' shape for "none", otherwise a numpy scalar of the
        logits' dtype; ``(loss, grad)`` with ``return_grad=True``; the ``FocalStats`` appended
        with ``return_stats=True``: ``(loss, stats)`` or ``(loss, grad, stats)``.

    Raises:
        TypeError: an argument of the wrong type, or an array of the wrong dtype (nothing is
            converted to another dtype).
        ValueError: a wrong shape, an unknown reduction, or a value out of range
            (%s, normalizer, a target outside [0, 1], a weight negative, NaN or
            infinite, num_threads < 0, an unknown precision), with the library's message
            naming it.
    """


def _family_doc(function, parameters):
    """Completes a family function's docstring: the arguments every family loss shares at
    `{arrays}` and `{options}`, then the Returns and Raises sections (`parameters`: its own, for
    the ValueError). Nothing under python -OO, which strips docstrings."""
    if function.__doc__ is not None:
        own = function.__doc__.format(arrays=_FAMILY_ARRAYS, options=_FAMILY_OPTIONS).rstrip()
        function.__doc__ = own + "\n" + _FAMILY_RETURNS % parameters


def sigmoid_focal_star_loss(logits, targets, alpha=None, gamma=1.0, beta=0.0, reduction="none", *, normalizer=None,
                            return_grad=False, num_threads=None, precision="exact", weights=None,
                            return_stats=False):
    """FL* (Lin et al. 2017, appendix A), as ``fvcore.nn.sigmoid_focal_loss_star`` (which has
    beta = 0 and computes in float32 whatever its input).

    Per element, with target ``t`` in [0, 1] and ``x_t = (2t - 1) x`` (for a soft target fvcore's
    linear form)::

        alpha_t = alpha t + (1 - alpha)(1 - t)        (1 when alpha is None or -1)
        loss    = alpha_t * softplus(-(gamma x_t + beta)) / gamma

    i.e. ``-log sigmoid(gamma x_t + beta) / gamma``: finite for every finite logit, its gradient
    ``-alpha_t (2t - 1) sigmoid(-(gamma x_t + beta))``. At gamma = 1, beta = 0 it is
    BCEWithLogits for hard targets.

    Args:{arrays}
        alpha: weight of the positives in [0, 1]; None (the default, fvcore's -1) or -1 disables
            weighting.
        gamma: the focusing parameter, finite and > 0. Default 1 (fvcore's).
        beta: the shift, finite, any sign. Default 0 (fvcore's).{options}
    """
    return _frontend.sigmoid_focal_star_loss(_backend, logits, targets, alpha, gamma, beta, reduction,
                                             normalizer=normalizer, return_grad=return_grad,
                                             num_threads=num_threads, precision=precision, weights=weights,
                                             return_stats=return_stats)


def asymmetric_loss(logits, targets, gamma_pos=1.0, gamma_neg=4.0, margin=0.05, reduction="none", *,
                    normalizer=None, return_grad=False, num_threads=None, precision="exact", weights=None,
                    return_stats=False):
    """The asymmetric loss, ASL (Ridnik et al., ICCV 2021), as
    ``timm.loss.AsymmetricLossMultiLabel(gamma_neg, gamma_pos, clip=margin, reduction="none")``
    without its eps clamp (which caps a confidently wrong element's loss at 18.4 with gradient 0)
    and in the logits' own precision (timm computes in float32).

    Per element, with ``s = sigmoid(x)`` and the shifted probability ``p_m = max(s - margin, 0)``::

        t = 1:   loss = -(1 - s) ** gamma_pos * log(s)
        t = 0:   loss = -p_m ** gamma_neg * log(1 - p_m)      (0 where s <= margin)

    and for a soft target timm's mixture: ``u = t (1 - s) + (1 - t) p_m``,
    ``g = gamma_pos t + gamma_neg (1 - t)``, ``loss = -u ** g * (t log s + (1 - t) log(1 - p_m))``.
    No alpha: the asymmetry is the two gammas. With gamma_pos = gamma_neg = gamma and margin 0 it
    is ``sigmoid_focal_loss(alpha=None, gamma=gamma)``. timm returns the sum (or, in newer
    versions, the sum over the batch size): reduction="sum", or "mean" with normalizer=N.

    Args:{arrays}
        gamma_pos: focusing of the positives, finite and >= 0. Default 1 (timm's). Note that
            timm's first argument is gamma_neg.
        gamma_neg: focusing of the negatives, finite and >= 0. Default 4 (timm's).
        margin: the probability margin (timm's ``clip``) in [0, 1]. Default 0.05.{options}
    """
    return _frontend.asymmetric_loss(_backend, logits, targets, gamma_pos, gamma_neg, margin, reduction,
                                     normalizer=normalizer, return_grad=return_grad, num_threads=num_threads,
                                     precision=precision, weights=weights, return_stats=return_stats)


def quality_focal_loss(logits, targets, beta=2.0, reduction="none", *, normalizer=None, return_grad=False,
                       num_threads=None, precision="exact", weights=None, return_stats=False):
    """The quality focal loss, QFL (Li et al., NeurIPS 2020, Generalized Focal Loss), as mmdet's
    ``quality_focal_loss`` per element, on dense targets (``quality_focal_loss_tensor_target``'s
    form): mmdet's ``(label, score)`` is the target ``score`` at ``[n, label]`` and 0 elsewhere.

    Per element, with ``s = sigmoid(x)`` and a soft target ``y`` in [0, 1] (an IoU score for the
    positive class, 0 elsewhere)::

        loss = |y - s| ** beta * BCEWithLogits(x, y)

    with ``|y - s|`` formed without cancellation (mmdet's rounds to 0 for y = 1 beyond x ~ 37).
    At beta = 0 it is BCEWithLogits. Where ``s == y`` exactly and 0 < beta <= 1 the loss has no
    derivative (a cusp): the gradient there is 0. mmdet sums each row over the classes before
    its mean: mmdet's "mean" is reduction="mean" with normalizer=N, the number of rows.

    Args:{arrays}
        beta: the focusing exponent, finite and >= 0. Default 2 (GFL's).{options}
    """
    return _frontend.quality_focal_loss(_backend, logits, targets, beta, reduction, normalizer=normalizer,
                                        return_grad=return_grad, num_threads=num_threads, precision=precision,
                                        weights=weights, return_stats=return_stats)


def varifocal_loss(logits, targets, alpha=0.75, gamma=2.0, reduction="none", *, iou_weighted=True, normalizer=None,
                   return_grad=False, num_threads=None, precision="exact", weights=None, return_stats=False):
    """The varifocal loss, VFL (Zhang et al., CVPR 2021, VarifocalNet), as mmdet's
    ``varifocal_loss`` (whose default reduction is "mean"; here "none").

    Per element, with ``s = sigmoid(x)`` and a target ``q`` in [0, 1] (the IoU-aware
    classification score of a positive, 0 for a negative)::

        q > 0:   loss = w * BCEWithLogits(x, q),   w = q (iou_weighted) or 1
        q = 0:   loss = alpha * s ** gamma * BCEWithLogits(x, 0)

    computed in log space (``s ** gamma`` as ``exp(gamma log s)``): finite for every finite logit,
    and no NaN gradient where ``s == q`` (mmdet's at gamma < 1).

    Args:{arrays}
        alpha: weight of the negatives, finite and >= 0. Default 0.75.
        gamma: focusing of the negatives, finite and >= 0. Default 2.
        iou_weighted: True (default): positives weighted by their target q; False: by 1.{options}
    """
    return _frontend.varifocal_loss(_backend, logits, targets, alpha, gamma, reduction, iou_weighted=iou_weighted,
                                    normalizer=normalizer, return_grad=return_grad, num_threads=num_threads,
                                    precision=precision, weights=weights, return_stats=return_stats)


_family_doc(sigmoid_focal_star_loss, "alpha, gamma, beta")
_family_doc(asymmetric_loss, "gamma_pos, gamma_neg, margin")
_family_doc(quality_focal_loss, "beta")
_family_doc(varifocal_loss, "alpha, gamma")


def sigmoid_focal_grad_hess(logits, targets, alpha=0.25, gamma=2.0, *, weights=None,
                            hessian=_frontend.DEFAULT_HESSIAN, precision="exact", num_threads=None):
    """Per-element gradient and Hessian of the sigmoid focal loss (unreduced) with respect to the
    logits, in one pass: what a gradient-boosting library's custom objective returns
    (``focalloss.xgboost`` and ``focalloss.lightgbm`` wrap it). See docs/boosting.md.

    Args:
        logits: float32 or float64 array, any shape: (N,) for a binary problem, (N, C) for C
            labels of a multi-label one (the raw margins).
        targets: array of the logits' shape and dtype, values in [0, 1].
        alpha, gamma: as for ``sigmoid_focal_loss`` (alpha None or -1 disables weighting).
        weights: None, an array of the logits' shape and dtype (per element), or for logits of 2
            or more dimensions one weight per row, shape (N, d1, ...) (a sample weight): each
            element's gradient and Hessian times its weight (0 gives 0).
        hessian: "exact" (the true second derivative, negative where an example is confidently
            wrong: the loss is not convex in the logit there), "clipped" (the exact value
            floored at 1e-6) or "approximate" (the focal weight
            ``alpha_t (1 - p_t) ** gamma`` times the logistic Hessian ``p (1 - p)``, always >= 0).
            Default "clipped" (docs/boosting.md: with "exact" the best on the XGBoost demo, and
            never negative; "approximate" underestimates easy examples' curvature by up to
            (1 + gamma) ** 2, and its long steps overfit or diverge).
        precision: "exact" or "fast" (float32 arithmetic for float32 logits with hard targets).
        num_threads: None or 0 for the library default; results are identical for every value.

    Returns:
        ``(grad, hess)``, arrays of the logits' shape and dtype. ``grad`` is, bit for bit, the
        gradient ``sigmoid_focal_loss(..., reduction="sum", weights=weights, return_grad=True)``
        returns.

    Raises:
        TypeError: wrong argument types or dtypes.
        ValueError: wrong shapes, an unknown hessian or precision, a value out of range (alpha,
            gamma, a target outside [0, 1], a weight negative, NaN or infinite), with the
            library's message.
    """
    return _frontend.sigmoid_focal_grad_hess(_backend, logits, targets, alpha, gamma, weights=weights,
                                             hessian=hessian, precision=precision, num_threads=num_threads)


def softmax_focal_grad_hess(logits, labels, alpha=None, gamma=2.0, *, weights=None,
                            hessian=_frontend.DEFAULT_HESSIAN, layout="row", ignore_index=-100, precision="exact",
                            num_threads=None):
    """Per-element gradient and diagonal Hessian ``d2 loss / d logit_c**2`` of the softmax focal loss
    (unreduced) with respect to the logits, in one pass, for a multiclass gradient-boosting
    objective. See docs/boosting.md.

    Args:
        logits: float32 or float64 array: (N, C) (or (N, C, d1, ...)) for ``layout="row"``
            (XGBoost's order), (C, N) for ``layout="class"`` (LightGBM's C API order).
        labels: int64 or int32 class indices of shape (N,) (or (N, d1, ...)), each in [0, C) or
            ignore_index.
        alpha: None or C class weights, as for ``softmax_focal_loss``.
        gamma: focusing parameter >= 0.
        weights: None or an array of the logits' dtype and the labels' shape (a sample weight;
            0 gives 0 for the whole row, as ignore_index does).
        hessian: "exact", "clipped" or "approximate" (``alpha_y (1 - p_y) ** gamma`` times
            cross-entropy's ``p_c (1 - p_c)``), as for ``sigmoid_focal_grad_hess``.
        layout: "row" or "class", see logits.
        ignore_index: labels with this value give 0 gradient and Hessian. Default -100.
        precision: "exact" or "fast" (both compute these in double).
        num_threads: None or 0 for the library default.

    Returns:
        ``(grad, hess)``, arrays of the logits' shape and dtype; ``grad`` is, bit for bit, the
        exact tier's gradient of ``softmax_focal_loss(..., reduction="sum", weights=weights)``.

    Raises:
        TypeError, ValueError: as for ``sigmoid_focal_grad_hess`` (a label outside [0, C) is a
        ValueError).
    """
    return _frontend.softmax_focal_grad_hess(_backend, logits, labels, alpha, gamma, weights=weights,
                                             hessian=hessian, layout=layout, ignore_index=ignore_index,
                                             precision=precision, num_threads=num_threads)


def sigmoid_focal_init_score(targets, alpha=0.25, gamma=2.0, weights=None, *, num_threads=None):
    """The optimal constant starting margin of a sigmoid problem: the logit ``x`` minimising
    ``sum_j w_j * loss(x, t_j)``, per class. Gradient-boosting libraries start from margin 0; give
    them this instead (XGBoost's ``base_score``/``base_margin``, LightGBM's ``init_score``).

    Args:
        targets: float32 or float64 array in [0, 1]: (N,) or (N, C, ...) (one margin per class
            on axis 1).
        alpha, gamma: as for ``sigmoid_focal_loss``.
        weights: None, an array of the targets' shape and dtype, or one weight per row.
        num_threads: None or 0 for the library default.

    Returns:
        A float for 1-D targets, else an array of C margins of the targets' dtype. At gamma = 0
        with alpha None it is the logit of the (weighted) positive rate. -inf where nothing pulls
        the margin up (no positive with weight, or alpha = 0), +inf where nothing pulls it down,
        NaN where nothing weighs at all.
    """
    return _frontend.sigmoid_focal_init_score(_backend, targets, alpha, gamma, weights=weights,
                                              num_threads=num_threads)


def softmax_focal_init_score(labels, num_classes, alpha=None, gamma=2.0, weights=None, *, ignore_index=-100,
                             num_threads=None):
    """The optimal constant starting margins of a softmax problem: the logits shared by every row
    that minimise the summed focal loss, as log-probabilities (their log-sum-exp is 0).

    Args:
        labels: int64 or int32 class indices in [0, num_classes) or ignore_index, any shape.
        num_classes: C >= 1.
        alpha: None or C class weights.
        gamma: focusing parameter >= 0.
        weights: None or a float64 array of the labels' shape.
        ignore_index: labels left out. Default -100.
        num_threads: None or 0 for the library default.

    Returns:
        A float64 array of C margins. At gamma = 0 the log of the (weighted) class frequencies;
        -inf for a class that never occurs (or has weight 0); NaN everywhere when nothing weighs.
    """
    return _frontend.softmax_focal_init_score(_backend, labels, num_classes, alpha, gamma, weights=weights,
                                              ignore_index=ignore_index, num_threads=num_threads)


__all__ = ["sigmoid_focal_loss", "sigmoid_focal_loss_from_labels", "softmax_focal_loss", "sigmoid_focal_star_loss",
           "asymmetric_loss", "quality_focal_loss", "varifocal_loss", "sigmoid_focal_grad_hess",
           "softmax_focal_grad_hess", "sigmoid_focal_init_score", "softmax_focal_init_score", "FocalStats",
           "backend", "__version__"]
