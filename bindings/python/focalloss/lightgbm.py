"""The focal loss as a LightGBM custom objective and metric.

    import lightgbm as lgb
    import focalloss.lightgbm

    start = focalloss.sigmoid_focal_init_score(y, alpha=0.25, gamma=2.0, weights=w)  # the best constant margin
    train = lgb.Dataset(X, label=y, weight=w, init_score=np.full(len(y), start))  # valid: with one too
    booster = lgb.train({"objective": focalloss.lightgbm.sigmoid_objective(alpha=0.25, gamma=2.0)}, train, 100,
                        valid_sets=[valid], feval=focalloss.lightgbm.sigmoid_metric(alpha=0.25, gamma=2.0))
    margins = booster.predict(X_test) + start   # raw margins: LightGBM does not keep the init_score

    model = lgb.LGBMClassifier(objective=focalloss.lightgbm.softmax_objective(gamma=2.0))
    model.fit(X, y, sample_weight=w, eval_set=[(X_valid, y_valid)],
              eval_metric=focalloss.lightgbm.softmax_metric(gamma=2.0))

One objective and one metric per loss, as in the package: ``sigmoid_objective`` for binary
models (predictions (N,), labels in [0, 1]), ``softmax_objective`` for multiclass ones
(``num_class`` = C: predictions (N, C), labels class indices 0 .. C-1). Each callable takes both
of LightGBM's calls:

- ``lightgbm.train(params={"objective": objective}, feval=metric)``: ``objective(preds,
  train_data)`` returns ``(grad, hess)`` of preds' shape; ``metric(preds, eval_data)`` returns
  ``(name, value, False)`` (lower is better). The labels and weights come from the Dataset.
- The scikit-learn estimators, ``LGBMClassifier(objective=objective)`` and ``fit(...,
  eval_metric=metric)``: ``objective(y_true, y_pred, weight)`` and ``metric(y_true, y_pred,
  weight)``.

The predictions are raw scores: LightGBM passes a custom objective's model's raw scores to a
metric (a built-in objective's transformed ones would be misread). A multiclass model's (N, C)
predictions are a view of LightGBM's class-major buffer; the objective hands that buffer to the
library as it is (``layout="class"``) and returns grad and hess as the same kind of view, which
LightGBM flattens without a copy.

Needs lightgbm >= 4.0 (multiclass predictions of shape (N, C); tested with 4.0.0 and 4.7.0); this
module never imports it.
"""

from . import _boosting

__all__ = ["objective", "metric", "sigmoid_objective", "softmax_objective", "sigmoid_metric", "softmax_metric"]


class Objective:
    """A LightGBM custom objective: ``objective(preds, train_data)`` for ``lightgbm.train``, or
    ``objective(y_true, y_pred, weight)`` for the scikit-learn estimators; returns ``(grad,
    hess)``, float64 arrays of the predictions' shape. Made by ``sigmoid_objective`` and
    ``softmax_objective``; picklable."""

    def __init__(self, loss):
        self._loss = loss

    def __call__(self, first, second, weight=None):
        if _boosting.is_data_set(second):  # lightgbm.train: (preds, train_data)
            return self._loss.grad_hess(first, second.get_label(), second.get_weight())
        return self._loss.grad_hess(second, first, weight)  # scikit-learn: (y_true, y_pred, weight)

    def __repr__(self):
        return "focalloss.lightgbm.Objective(%s)" % self._loss.describe()


class Metric:
    """A LightGBM custom metric, the weighted mean focal loss of raw scores: ``metric(preds,
    eval_data)`` for ``lightgbm.train(feval=)`` and ``metric(y_true, y_pred, weight)`` for the
    scikit-learn estimators' ``eval_metric`` both return ``(name, value, False)``."""

    def __init__(self, loss, name):
        self._loss = loss
        self.__name__ = name

    def __call__(self, first, second, weight=None):
        if _boosting.is_data_set(second):
            return self.__name__, self._loss.mean(first, second.get_label(), second.get_weight()), False
        return self.__name__, self._loss.mean(second, first, weight), False

    def __repr__(self):
        return "focalloss.lightgbm.Metric(%r, %s)" % (self.__name__, self._loss.describe())


def sigmoid_objective(alpha=0.25, gamma=2.0, *, hessian=None, precision="exact", num_threads=None):
    """The sigmoid focal loss as a LightGBM objective, for binary models.

    grad and hess are ``focalloss.sigmoid_focal_grad_hess`` of the raw scores, with the labels as
    targets and the weights as per-row weights.

    Args:
        alpha, gamma: as for ``focalloss.sigmoid_focal_loss`` (alpha None or -1 disables it).
        hessian: "exact", "clipped" or "approximate" (see ``focalloss.sigmoid_focal_grad_hess``);
            None for that function's default.
        precision, num_threads: as for ``focalloss.sigmoid_focal_grad_hess``.

    Raises:
        TypeError, ValueError: a bad argument, with the library's message, here rather than in
            training.
    """
    return Objective(_boosting.FocalLoss("sigmoid", alpha, gamma, hessian, precision, num_threads))


def softmax_objective(alpha=None, gamma=2.0, *, hessian=None, precision="exact", num_threads=None):
    """The softmax focal loss as a LightGBM objective, for multiclass models (``num_class`` = C).

    grad and hess (the diagonal Hessian) are ``focalloss.softmax_focal_grad_hess`` of the raw
    scores, with the labels as class indices (each an integer in [0, C)) and the weights as
    per-row weights.

    Args:
        alpha: None or C class weights, as for ``focalloss.softmax_focal_loss``.
        gamma, hessian, precision, num_threads: as for ``sigmoid_objective``.
    """
    return Objective(_boosting.FocalLoss("softmax", alpha, gamma, hessian, precision, num_threads))


def sigmoid_metric(alpha=0.25, gamma=2.0, *, name="focal", num_threads=None):
    """The weighted mean sigmoid focal loss of raw scores as a LightGBM metric:
    sum(w * loss) / sum(w) over the rows. At gamma = 0 with alpha None it is LightGBM's
    ``binary_logloss``."""
    return Metric(_boosting.FocalLoss("sigmoid", alpha, gamma, None, "exact", num_threads), name)


def softmax_metric(alpha=None, gamma=2.0, *, name="focal", num_threads=None):
    """The weighted mean softmax focal loss of raw (N, C) scores as a LightGBM metric:
    sum(w * loss) / sum(w) over the rows (alpha weighs the losses, not the divisor). At
    gamma = 0 with alpha None it is LightGBM's ``multi_logloss``."""
    return Metric(_boosting.FocalLoss("softmax", alpha, gamma, None, "exact", num_threads), name)


def objective(alpha=_boosting.DEFAULT_ALPHA, gamma=2.0, *, hessian=None, num_class=None, precision="exact",
              num_threads=None):
    """The focal loss as a LightGBM objective: ``sigmoid_objective`` when ``num_class`` is None or 1
    (binary and multi-label models), ``softmax_objective`` for ``num_class`` = C >= 2 (multiclass).

    Args:
        alpha: the sigmoid's positive weight (default 0.25; None or -1 disables it), or the
            softmax's C class weights (default None: every class 1).
        gamma, hessian, precision, num_threads: as for ``sigmoid_objective``.
        num_class: None or 1 for the sigmoid focal loss, the number of classes for the softmax.
    """
    kind, alpha = _boosting.family(num_class, alpha)
    make = sigmoid_objective if kind == "sigmoid" else softmax_objective
    return make(alpha, gamma, hessian=hessian, precision=precision, num_threads=num_threads)


def metric(alpha=_boosting.DEFAULT_ALPHA, gamma=2.0, *, num_class=None, name="focal", num_threads=None):
    """The weighted mean focal loss of raw margins as a LightGBM metric: ``sigmoid_metric`` when
    ``num_class`` is None or 1, ``softmax_metric`` for ``num_class`` = C >= 2; alpha as for
    ``objective``."""
    kind, alpha = _boosting.family(num_class, alpha)
    make = sigmoid_metric if kind == "sigmoid" else softmax_metric
    return make(alpha, gamma, name=name, num_threads=num_threads)
