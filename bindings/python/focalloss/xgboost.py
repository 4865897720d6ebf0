"""The focal loss as an XGBoost custom objective and metric.

    import xgboost as xgb
    import focalloss.xgboost

    # With obj= and no objective in params, base_score is a raw margin (0.5 when unset): start
    # from the constant margin that minimises the focal loss.
    start = focalloss.sigmoid_focal_init_score(y, alpha=0.25, gamma=2.0, weights=w)
    booster = xgb.train({"base_score": start, "max_depth": 4, "disable_default_eval_metric": 1},
                        xgb.DMatrix(X, label=y, weight=w), 100,
                        obj=focalloss.xgboost.sigmoid_objective(alpha=0.25, gamma=2.0),
                        custom_metric=focalloss.xgboost.sigmoid_metric(alpha=0.25, gamma=2.0),
                        evals=[(dvalid, "valid")])
    margins = booster.predict(dtest, output_margin=True)   # logits: p = 1 / (1 + exp(-margins))

    model = xgb.XGBClassifier(objective=focalloss.xgboost.softmax_objective(gamma=2.0),
                              eval_metric=focalloss.xgboost.softmax_metric(gamma=2.0))
    model.fit(X, y, sample_weight=w)

One objective and one metric per loss, as in the package: ``sigmoid_objective`` for binary
problems (predictions (N,), labels in [0, 1]) and multi-label ones (predictions and labels
(N, C)), ``softmax_objective`` for multiclass ones (``num_class`` = C: predictions (N, C), labels
class indices 0 .. C-1). Each callable takes both of XGBoost's calls:

- ``xgboost.train(params, dtrain, obj=objective, custom_metric=metric)``: ``objective(predt,
  dtrain)`` returns ``(grad, hess)`` of predt's shape; ``metric(predt, dmatrix)`` returns
  ``(name, value)``. The labels and sample weights come from the DMatrix.
- The scikit-learn estimators, ``XGBClassifier(objective=objective, eval_metric=metric)``:
  ``objective(y_true, y_pred, sample_weight=None)`` and ``metric(y_true, y_pred,
  sample_weight=None)``, which returns the value alone (the estimator names it after
  ``metric.__name__``).

The predictions are raw margins in both: XGBoost passes a custom metric the margins whenever the
objective is a custom one (a built-in objective's transformed predictions would be misread).

Needs xgboost >= 2.1 (multiclass predictions and gradients of shape (N, C); tested with 2.1.1 and
3.2.0); this module never imports it.
"""

from . import _boosting

__all__ = ["objective", "metric", "sigmoid_objective", "softmax_objective", "sigmoid_metric", "softmax_metric"]


class Objective:
    """An XGBoost custom objective: ``objective(predt, dtrain)`` for ``xgboost.train``, or
    ``objective(y_true, y_pred, sample_weight=None)`` for the scikit-learn estimators; returns
    ``(grad, hess)``, arrays of the predictions' shape and dtype (float32 from XGBoost). Made by
    ``sigmoid_objective`` and ``softmax_objective``; picklable, as a fitted estimator needs."""

    def __init__(self, loss):
        self._loss = loss

    def __call__(self, first, second, sample_weight=None):
        if _boosting.is_data_set(second):  # xgboost.train: (predt, dtrain)
            return self._loss.grad_hess(first, second.get_label(), second.get_weight())
        return self._loss.grad_hess(second, first, sample_weight)  # scikit-learn: (y_true, y_pred)

    def __repr__(self):
        return "focalloss.xgboost.Objective(%s)" % self._loss.describe()


class Metric:
    """An XGBoost custom metric, the weighted mean focal loss of raw margins (lower is better):
    ``metric(predt, dmatrix)`` returns ``(name, value)`` for ``xgboost.train(custom_metric=)``;
    ``metric(y_true, y_pred, sample_weight=None)`` returns the value alone for the scikit-learn
    estimators' ``eval_metric``, which name it ``metric.__name__``."""

    def __init__(self, loss, name):
        self._loss = loss
        self.__name__ = name

    def __call__(self, first, second, sample_weight=None):
        if _boosting.is_data_set(second):
            return self.__name__, self._loss.mean(first, second.get_label(), second.get_weight())
        return self._loss.mean(second, first, sample_weight)

    def __repr__(self):
        return "focalloss.xgboost.Metric(%r, %s)" % (self.__name__, self._loss.describe())


def sigmoid_objective(alpha=0.25, gamma=2.0, *, hessian=None, precision="exact", num_threads=None):
    """The sigmoid focal loss as an XGBoost objective, for binary and multi-label models.

    grad and hess are ``focalloss.sigmoid_focal_grad_hess`` of the margins, with the labels as
    targets and the sample weights as per-row weights.

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
    """The softmax focal loss as an XGBoost objective, for multiclass models (``num_class`` = C).

    grad and hess (the diagonal Hessian) are ``focalloss.softmax_focal_grad_hess`` of the (N, C)
    margins, with the labels as class indices (each must be an integer in [0, C)) and the sample
    weights as per-row weights.

    Args:
        alpha: None or C class weights, as for ``focalloss.softmax_focal_loss``.
        gamma, hessian, precision, num_threads: as for ``sigmoid_objective``.
    """
    return Objective(_boosting.FocalLoss("softmax", alpha, gamma, hessian, precision, num_threads))


def sigmoid_metric(alpha=0.25, gamma=2.0, *, name="focal", num_threads=None):
    """The weighted mean sigmoid focal loss of raw margins as an XGBoost metric:
    sum(w * loss) / sum(w) over the rows (over every element of a multi-label model, a row's
    weight counting once per label). At gamma = 0 with alpha None it is XGBoost's ``logloss``."""
    return Metric(_boosting.FocalLoss("sigmoid", alpha, gamma, None, "exact", num_threads), name)


def softmax_metric(alpha=None, gamma=2.0, *, name="focal", num_threads=None):
    """The weighted mean softmax focal loss of raw (N, C) margins as an XGBoost metric:
    sum(w * loss) / sum(w) over the rows (alpha weighs the losses, not the divisor). At
    gamma = 0 with alpha None it is XGBoost's ``mlogloss``."""
    return Metric(_boosting.FocalLoss("softmax", alpha, gamma, None, "exact", num_threads), name)


def objective(alpha=_boosting.DEFAULT_ALPHA, gamma=2.0, *, hessian=None, num_class=None, precision="exact",
              num_threads=None):
    """The focal loss as a XGBoost objective: ``sigmoid_objective`` when ``num_class`` is None or 1
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
    """The weighted mean focal loss of raw margins as a XGBoost metric: ``sigmoid_metric`` when
    ``num_class`` is None or 1, ``softmax_metric`` for ``num_class`` = C >= 2; alpha as for
    ``objective``."""
    kind, alpha = _boosting.family(num_class, alpha)
    make = sigmoid_metric if kind == "sigmoid" else softmax_metric
    return make(alpha, gamma, name=name, num_threads=num_threads)
