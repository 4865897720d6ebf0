# Type stubs of focalloss.lightgbm (the docstrings are in lightgbm.py). The callables take either of
# LightGBM's calls: (preds, train_data) from lightgbm.train, (y_true, y_pred, weight) from the
# scikit-learn estimators; a Dataset is typed Any, as this module never imports lightgbm.

from typing import Any, Optional, Sequence, Tuple, Union

from numpy.typing import NDArray

from . import _boosting

# objective() and metric() default to _boosting.DEFAULT_ALPHA: 0.25 for the sigmoid, None for the softmax.
_Alpha = Union[float, Sequence[float], NDArray[Any], None, _boosting._Default]
_Hessian = Optional[str]

class Objective:
    def __init__(self, loss: _boosting.FocalLoss) -> None: ...
    def __call__(self, first: Any, second: Any, weight: Optional[NDArray[Any]] = ...) -> Tuple[NDArray[Any], NDArray[Any]]: ...

class Metric:
    __name__: str
    def __init__(self, loss: _boosting.FocalLoss, name: str) -> None: ...
    # (name, value, False) for lightgbm.train's feval and the estimators' eval_metric: lower is better.
    def __call__(self, first: Any, second: Any, weight: Optional[NDArray[Any]] = ...) -> Tuple[str, float, bool]: ...

def sigmoid_objective(alpha: Optional[float] = ..., gamma: float = ..., *, hessian: _Hessian = ..., precision: str = ...,
                      num_threads: Optional[int] = ...) -> Objective: ...
def softmax_objective(alpha: Union[Sequence[float], NDArray[Any], None] = ..., gamma: float = ..., *,
                      hessian: _Hessian = ..., precision: str = ..., num_threads: Optional[int] = ...) -> Objective: ...
def sigmoid_metric(alpha: Optional[float] = ..., gamma: float = ..., *, name: str = ...,
                   num_threads: Optional[int] = ...) -> Metric: ...
def softmax_metric(alpha: Union[Sequence[float], NDArray[Any], None] = ..., gamma: float = ..., *, name: str = ...,
                   num_threads: Optional[int] = ...) -> Metric: ...
def objective(alpha: _Alpha = ..., gamma: float = ..., *, hessian: _Hessian = ..., num_class: Optional[int] = ...,
              precision: str = ..., num_threads: Optional[int] = ...) -> Objective: ...
def metric(alpha: _Alpha = ..., gamma: float = ..., *, num_class: Optional[int] = ..., name: str = ...,
           num_threads: Optional[int] = ...) -> Metric: ...

__all__ = ["objective", "metric", "sigmoid_objective", "softmax_objective", "sigmoid_metric", "softmax_metric"]
