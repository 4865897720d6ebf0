# Type stubs of focalloss's public API (PEP 561; the package ships py.typed). The docstrings are in
# __init__.py. `make test-typing` checks these against the runtime (mypy.stubtest) and type-checks
# bindings/python/tests/typing/usage.py with them under mypy --strict.
#
# The loss functions return an array for reduction="none" and a numpy scalar otherwise, followed
# by the gradient with return_grad=True and a FocalStats with return_stats=True: one overload per
# case, for the literal values a call writes; a reduction, precision or flag held in a variable of
# type str or bool gets the last overload, which returns Any.

from typing import Any, Literal, NamedTuple, Optional, Protocol, Sequence, Tuple, Union, overload

import numpy as np
from numpy.typing import NDArray

class _SupportsDLPack(Protocol):
    """A CPU array of another library (a torch tensor, a jax array): read through DLPack, no copy."""

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any: ...

# logits, targets, labels and weights: numpy arrays (float16, bfloat16, float32, float64 logits;
# int32 or int64 labels) or CPU arrays with __dlpack__.
_Array = Union[NDArray[Any], _SupportsDLPack]
# What comes back: arrays and numpy scalars of the logits' dtype.
_Losses = NDArray[Any]
_Loss = np.floating[Any]
_Grad = NDArray[Any]
_ClassWeights = Union[Sequence[float], NDArray[Any], None]
_Reduced = Literal["sum", "mean"]
_Precision = Literal["exact", "fast"]
_Hessian = Literal["exact", "clipped", "approximate"]

class FocalStats(NamedTuple):
    positives: float
    weight_sum: float
    divisor: float

#: The live backend: "extension" or "ctypes".
backend: str
__version__: str

# sigmoid_focal_loss: reduction "none" by default.
@overload
def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                       reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                       return_grad: Literal[False] = ..., num_threads: Optional[int] = ...,
                       precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ..., poly1_epsilon: float = ...) -> _Losses: ...
@overload
def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                       reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                       return_grad: Literal[False] = ..., num_threads: Optional[int] = ...,
                       precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ..., poly1_epsilon: float = ...) -> _Loss: ...
@overload
def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                       reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                       return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                       weights: Optional[_Array] = ..., return_stats: Literal[False] = ...,
                       poly1_epsilon: float = ...) -> Tuple[_Losses, _Grad]: ...
@overload
def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                       reduction: _Reduced = ..., *, normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ..., poly1_epsilon: float = ...) -> Tuple[_Loss, _Grad]: ...
@overload
def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                       reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                       return_grad: Literal[False] = ..., num_threads: Optional[int] = ...,
                       precision: _Precision = ..., weights: Optional[_Array] = ..., return_stats: Literal[True],
                       poly1_epsilon: float = ...) -> Tuple[_Losses, FocalStats]: ...
@overload
def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                       reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                       return_grad: Literal[False] = ..., num_threads: Optional[int] = ...,
                       precision: _Precision = ..., weights: Optional[_Array] = ..., return_stats: Literal[True],
                       poly1_epsilon: float = ...) -> Tuple[_Loss, FocalStats]: ...
@overload
def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                       reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                       return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                       weights: Optional[_Array] = ..., return_stats: Literal[True],
                       poly1_epsilon: float = ...) -> Tuple[_Losses, _Grad, FocalStats]: ...
@overload
def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                       reduction: _Reduced = ..., *, normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[True],
                       poly1_epsilon: float = ...) -> Tuple[_Loss, _Grad, FocalStats]: ...
@overload
def sigmoid_focal_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                       reduction: str = ..., *, normalizer: Optional[float] = ..., return_grad: bool = ...,
                       num_threads: Optional[int] = ..., precision: str = ..., weights: Optional[_Array] = ...,
                       return_stats: bool = ..., poly1_epsilon: float = ...) -> Any: ...

# sigmoid_focal_loss_from_labels: reduction "none" by default.
@overload
def sigmoid_focal_loss_from_labels(logits: _Array, labels: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                                   reduction: Literal["none"] = ..., *, ignore_index: int = ...,
                                   normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                                   num_threads: Optional[int] = ..., precision: _Precision = ...,
                                   weights: Optional[_Array] = ..., return_stats: Literal[False] = ...,
                                   poly1_epsilon: float = ...) -> _Losses: ...
@overload
def sigmoid_focal_loss_from_labels(logits: _Array, labels: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                                   reduction: _Reduced = ..., *, ignore_index: int = ...,
                                   normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                                   num_threads: Optional[int] = ..., precision: _Precision = ...,
                                   weights: Optional[_Array] = ..., return_stats: Literal[False] = ...,
                                   poly1_epsilon: float = ...) -> _Loss: ...
@overload
def sigmoid_focal_loss_from_labels(logits: _Array, labels: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                                   reduction: Literal["none"] = ..., *, ignore_index: int = ...,
                                   normalizer: Optional[float] = ..., return_grad: Literal[True],
                                   num_threads: Optional[int] = ..., precision: _Precision = ...,
                                   weights: Optional[_Array] = ..., return_stats: Literal[False] = ...,
                                   poly1_epsilon: float = ...) -> Tuple[_Losses, _Grad]: ...
@overload
def sigmoid_focal_loss_from_labels(logits: _Array, labels: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                                   reduction: _Reduced = ..., *, ignore_index: int = ...,
                                   normalizer: Optional[float] = ..., return_grad: Literal[True],
                                   num_threads: Optional[int] = ..., precision: _Precision = ...,
                                   weights: Optional[_Array] = ..., return_stats: Literal[False] = ...,
                                   poly1_epsilon: float = ...) -> Tuple[_Loss, _Grad]: ...
@overload
def sigmoid_focal_loss_from_labels(logits: _Array, labels: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                                   reduction: Literal["none"] = ..., *, ignore_index: int = ...,
                                   normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                                   num_threads: Optional[int] = ..., precision: _Precision = ...,
                                   weights: Optional[_Array] = ..., return_stats: Literal[True],
                                   poly1_epsilon: float = ...) -> Tuple[_Losses, FocalStats]: ...
@overload
def sigmoid_focal_loss_from_labels(logits: _Array, labels: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                                   reduction: _Reduced = ..., *, ignore_index: int = ...,
                                   normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                                   num_threads: Optional[int] = ..., precision: _Precision = ...,
                                   weights: Optional[_Array] = ..., return_stats: Literal[True],
                                   poly1_epsilon: float = ...) -> Tuple[_Loss, FocalStats]: ...
@overload
def sigmoid_focal_loss_from_labels(logits: _Array, labels: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                                   reduction: Literal["none"] = ..., *, ignore_index: int = ...,
                                   normalizer: Optional[float] = ..., return_grad: Literal[True],
                                   num_threads: Optional[int] = ..., precision: _Precision = ...,
                                   weights: Optional[_Array] = ..., return_stats: Literal[True],
                                   poly1_epsilon: float = ...) -> Tuple[_Losses, _Grad, FocalStats]: ...
@overload
def sigmoid_focal_loss_from_labels(logits: _Array, labels: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                                   reduction: _Reduced = ..., *, ignore_index: int = ...,
                                   normalizer: Optional[float] = ..., return_grad: Literal[True],
                                   num_threads: Optional[int] = ..., precision: _Precision = ...,
                                   weights: Optional[_Array] = ..., return_stats: Literal[True],
                                   poly1_epsilon: float = ...) -> Tuple[_Loss, _Grad, FocalStats]: ...
@overload
def sigmoid_focal_loss_from_labels(logits: _Array, labels: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                                   reduction: str = ..., *, ignore_index: int = ...,
                                   normalizer: Optional[float] = ..., return_grad: bool = ...,
                                   num_threads: Optional[int] = ..., precision: str = ...,
                                   weights: Optional[_Array] = ..., return_stats: bool = ...,
                                   poly1_epsilon: float = ...) -> Any: ...

# softmax_focal_loss: reduction "mean" by default.
@overload
def softmax_focal_loss(logits: _Array, targets: _Array, alpha: _ClassWeights = ..., gamma: float = ...,
                       reduction: _Reduced = ..., *, ignore_index: int = ..., label_smoothing: float = ...,
                       normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ..., poly1_epsilon: float = ...) -> _Loss: ...
@overload
def softmax_focal_loss(logits: _Array, targets: _Array, alpha: _ClassWeights = ..., gamma: float = ...,
                       reduction: Literal["none"] = ..., *, ignore_index: int = ..., label_smoothing: float = ...,
                       normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ..., poly1_epsilon: float = ...) -> _Losses: ...
@overload
def softmax_focal_loss(logits: _Array, targets: _Array, alpha: _ClassWeights = ..., gamma: float = ...,
                       reduction: _Reduced = ..., *, ignore_index: int = ..., label_smoothing: float = ...,
                       normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ..., poly1_epsilon: float = ...) -> Tuple[_Loss, _Grad]: ...
@overload
def softmax_focal_loss(logits: _Array, targets: _Array, alpha: _ClassWeights = ..., gamma: float = ...,
                       reduction: Literal["none"] = ..., *, ignore_index: int = ..., label_smoothing: float = ...,
                       normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ..., poly1_epsilon: float = ...) -> Tuple[_Losses, _Grad]: ...
@overload
def softmax_focal_loss(logits: _Array, targets: _Array, alpha: _ClassWeights = ..., gamma: float = ...,
                       reduction: _Reduced = ..., *, ignore_index: int = ..., label_smoothing: float = ...,
                       normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[True], poly1_epsilon: float = ...) -> Tuple[_Loss, FocalStats]: ...
@overload
def softmax_focal_loss(logits: _Array, targets: _Array, alpha: _ClassWeights = ..., gamma: float = ...,
                       reduction: Literal["none"] = ..., *, ignore_index: int = ..., label_smoothing: float = ...,
                       normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[True], poly1_epsilon: float = ...) -> Tuple[_Losses, FocalStats]: ...
@overload
def softmax_focal_loss(logits: _Array, targets: _Array, alpha: _ClassWeights = ..., gamma: float = ...,
                       reduction: _Reduced = ..., *, ignore_index: int = ..., label_smoothing: float = ...,
                       normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[True],
                       poly1_epsilon: float = ...) -> Tuple[_Loss, _Grad, FocalStats]: ...
@overload
def softmax_focal_loss(logits: _Array, targets: _Array, alpha: _ClassWeights = ..., gamma: float = ...,
                       reduction: Literal["none"] = ..., *, ignore_index: int = ..., label_smoothing: float = ...,
                       normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[True],
                       poly1_epsilon: float = ...) -> Tuple[_Losses, _Grad, FocalStats]: ...
@overload
def softmax_focal_loss(logits: _Array, targets: _Array, alpha: _ClassWeights = ..., gamma: float = ...,
                       reduction: str = ..., *, ignore_index: int = ..., label_smoothing: float = ...,
                       normalizer: Optional[float] = ..., return_grad: bool = ..., num_threads: Optional[int] = ...,
                       precision: str = ..., weights: Optional[_Array] = ..., return_stats: bool = ...,
                       poly1_epsilon: float = ...) -> Any: ...

# The focal family: FL*, asymmetric, quality focal and varifocal losses; the calling conventions of
# sigmoid_focal_loss.
# sigmoid_focal_star_loss: reduction "none" by default.
@overload
def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                            beta: float = ..., reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                            return_grad: Literal[False] = ..., num_threads: Optional[int] = ...,
                            precision: _Precision = ..., weights: Optional[_Array] = ...,
                            return_stats: Literal[False] = ...) -> _Losses: ...
@overload
def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                            beta: float = ..., reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                            return_grad: Literal[False] = ..., num_threads: Optional[int] = ...,
                            precision: _Precision = ..., weights: Optional[_Array] = ...,
                            return_stats: Literal[False] = ...) -> _Loss: ...
@overload
def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                            beta: float = ..., reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                            return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                            weights: Optional[_Array] = ...,
                            return_stats: Literal[False] = ...) -> Tuple[_Losses, _Grad]: ...
@overload
def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                            beta: float = ..., reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                            return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                            weights: Optional[_Array] = ...,
                            return_stats: Literal[False] = ...) -> Tuple[_Loss, _Grad]: ...
@overload
def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                            beta: float = ..., reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                            return_grad: Literal[False] = ..., num_threads: Optional[int] = ...,
                            precision: _Precision = ..., weights: Optional[_Array] = ...,
                            return_stats: Literal[True]) -> Tuple[_Losses, FocalStats]: ...
@overload
def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                            beta: float = ..., reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                            return_grad: Literal[False] = ..., num_threads: Optional[int] = ...,
                            precision: _Precision = ..., weights: Optional[_Array] = ...,
                            return_stats: Literal[True]) -> Tuple[_Loss, FocalStats]: ...
@overload
def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                            beta: float = ..., reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                            return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                            weights: Optional[_Array] = ...,
                            return_stats: Literal[True]) -> Tuple[_Losses, _Grad, FocalStats]: ...
@overload
def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                            beta: float = ..., reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                            return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                            weights: Optional[_Array] = ...,
                            return_stats: Literal[True]) -> Tuple[_Loss, _Grad, FocalStats]: ...
@overload
def sigmoid_focal_star_loss(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                            beta: float = ..., reduction: str = ..., *, normalizer: Optional[float] = ...,
                            return_grad: bool = ..., num_threads: Optional[int] = ..., precision: str = ...,
                            weights: Optional[_Array] = ..., return_stats: bool = ...) -> Any: ...

# asymmetric_loss: reduction "none" by default.
@overload
def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = ..., gamma_neg: float = ...,
                    margin: float = ..., reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                    return_grad: Literal[False] = ..., num_threads: Optional[int] = ..., precision: _Precision = ...,
                    weights: Optional[_Array] = ..., return_stats: Literal[False] = ...) -> _Losses: ...
@overload
def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = ..., gamma_neg: float = ...,
                    margin: float = ..., reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                    return_grad: Literal[False] = ..., num_threads: Optional[int] = ..., precision: _Precision = ...,
                    weights: Optional[_Array] = ..., return_stats: Literal[False] = ...) -> _Loss: ...
@overload
def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = ..., gamma_neg: float = ...,
                    margin: float = ..., reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                    return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                    weights: Optional[_Array] = ..., return_stats: Literal[False] = ...) -> Tuple[_Losses, _Grad]: ...
@overload
def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = ..., gamma_neg: float = ...,
                    margin: float = ..., reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                    return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                    weights: Optional[_Array] = ..., return_stats: Literal[False] = ...) -> Tuple[_Loss, _Grad]: ...
@overload
def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = ..., gamma_neg: float = ...,
                    margin: float = ..., reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                    return_grad: Literal[False] = ..., num_threads: Optional[int] = ..., precision: _Precision = ...,
                    weights: Optional[_Array] = ..., return_stats: Literal[True]) -> Tuple[_Losses, FocalStats]: ...
@overload
def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = ..., gamma_neg: float = ...,
                    margin: float = ..., reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                    return_grad: Literal[False] = ..., num_threads: Optional[int] = ..., precision: _Precision = ...,
                    weights: Optional[_Array] = ..., return_stats: Literal[True]) -> Tuple[_Loss, FocalStats]: ...
@overload
def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = ..., gamma_neg: float = ...,
                    margin: float = ..., reduction: Literal["none"] = ..., *, normalizer: Optional[float] = ...,
                    return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                    weights: Optional[_Array] = ...,
                    return_stats: Literal[True]) -> Tuple[_Losses, _Grad, FocalStats]: ...
@overload
def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = ..., gamma_neg: float = ...,
                    margin: float = ..., reduction: _Reduced = ..., *, normalizer: Optional[float] = ...,
                    return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                    weights: Optional[_Array] = ...,
                    return_stats: Literal[True]) -> Tuple[_Loss, _Grad, FocalStats]: ...
@overload
def asymmetric_loss(logits: _Array, targets: _Array, gamma_pos: float = ..., gamma_neg: float = ...,
                    margin: float = ..., reduction: str = ..., *, normalizer: Optional[float] = ...,
                    return_grad: bool = ..., num_threads: Optional[int] = ..., precision: str = ...,
                    weights: Optional[_Array] = ..., return_stats: bool = ...) -> Any: ...

# quality_focal_loss: reduction "none" by default.
@overload
def quality_focal_loss(logits: _Array, targets: _Array, beta: float = ..., reduction: Literal["none"] = ..., *,
                       normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ...) -> _Losses: ...
@overload
def quality_focal_loss(logits: _Array, targets: _Array, beta: float = ..., reduction: _Reduced = ..., *,
                       normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ...) -> _Loss: ...
@overload
def quality_focal_loss(logits: _Array, targets: _Array, beta: float = ..., reduction: Literal["none"] = ..., *,
                       normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ...) -> Tuple[_Losses, _Grad]: ...
@overload
def quality_focal_loss(logits: _Array, targets: _Array, beta: float = ..., reduction: _Reduced = ..., *,
                       normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[False] = ...) -> Tuple[_Loss, _Grad]: ...
@overload
def quality_focal_loss(logits: _Array, targets: _Array, beta: float = ..., reduction: Literal["none"] = ..., *,
                       normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[True]) -> Tuple[_Losses, FocalStats]: ...
@overload
def quality_focal_loss(logits: _Array, targets: _Array, beta: float = ..., reduction: _Reduced = ..., *,
                       normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[True]) -> Tuple[_Loss, FocalStats]: ...
@overload
def quality_focal_loss(logits: _Array, targets: _Array, beta: float = ..., reduction: Literal["none"] = ..., *,
                       normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[True]) -> Tuple[_Losses, _Grad, FocalStats]: ...
@overload
def quality_focal_loss(logits: _Array, targets: _Array, beta: float = ..., reduction: _Reduced = ..., *,
                       normalizer: Optional[float] = ..., return_grad: Literal[True],
                       num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                       return_stats: Literal[True]) -> Tuple[_Loss, _Grad, FocalStats]: ...
@overload
def quality_focal_loss(logits: _Array, targets: _Array, beta: float = ..., reduction: str = ..., *,
                       normalizer: Optional[float] = ..., return_grad: bool = ..., num_threads: Optional[int] = ...,
                       precision: str = ..., weights: Optional[_Array] = ..., return_stats: bool = ...) -> Any: ...

# varifocal_loss: reduction "none" by default.
@overload
def varifocal_loss(logits: _Array, targets: _Array, alpha: float = ..., gamma: float = ...,
                   reduction: Literal["none"] = ..., *, iou_weighted: bool = ..., normalizer: Optional[float] = ...,
                   return_grad: Literal[False] = ..., num_threads: Optional[int] = ..., precision: _Precision = ...,
                   weights: Optional[_Array] = ..., return_stats: Literal[False] = ...) -> _Losses: ...
@overload
def varifocal_loss(logits: _Array, targets: _Array, alpha: float = ..., gamma: float = ..., reduction: _Reduced = ...,
                   *, iou_weighted: bool = ..., normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                   num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                   return_stats: Literal[False] = ...) -> _Loss: ...
@overload
def varifocal_loss(logits: _Array, targets: _Array, alpha: float = ..., gamma: float = ...,
                   reduction: Literal["none"] = ..., *, iou_weighted: bool = ..., normalizer: Optional[float] = ...,
                   return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                   weights: Optional[_Array] = ..., return_stats: Literal[False] = ...) -> Tuple[_Losses, _Grad]: ...
@overload
def varifocal_loss(logits: _Array, targets: _Array, alpha: float = ..., gamma: float = ..., reduction: _Reduced = ...,
                   *, iou_weighted: bool = ..., normalizer: Optional[float] = ..., return_grad: Literal[True],
                   num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                   return_stats: Literal[False] = ...) -> Tuple[_Loss, _Grad]: ...
@overload
def varifocal_loss(logits: _Array, targets: _Array, alpha: float = ..., gamma: float = ...,
                   reduction: Literal["none"] = ..., *, iou_weighted: bool = ..., normalizer: Optional[float] = ...,
                   return_grad: Literal[False] = ..., num_threads: Optional[int] = ..., precision: _Precision = ...,
                   weights: Optional[_Array] = ..., return_stats: Literal[True]) -> Tuple[_Losses, FocalStats]: ...
@overload
def varifocal_loss(logits: _Array, targets: _Array, alpha: float = ..., gamma: float = ..., reduction: _Reduced = ...,
                   *, iou_weighted: bool = ..., normalizer: Optional[float] = ..., return_grad: Literal[False] = ...,
                   num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                   return_stats: Literal[True]) -> Tuple[_Loss, FocalStats]: ...
@overload
def varifocal_loss(logits: _Array, targets: _Array, alpha: float = ..., gamma: float = ...,
                   reduction: Literal["none"] = ..., *, iou_weighted: bool = ..., normalizer: Optional[float] = ...,
                   return_grad: Literal[True], num_threads: Optional[int] = ..., precision: _Precision = ...,
                   weights: Optional[_Array] = ...,
                   return_stats: Literal[True]) -> Tuple[_Losses, _Grad, FocalStats]: ...
@overload
def varifocal_loss(logits: _Array, targets: _Array, alpha: float = ..., gamma: float = ..., reduction: _Reduced = ...,
                   *, iou_weighted: bool = ..., normalizer: Optional[float] = ..., return_grad: Literal[True],
                   num_threads: Optional[int] = ..., precision: _Precision = ..., weights: Optional[_Array] = ...,
                   return_stats: Literal[True]) -> Tuple[_Loss, _Grad, FocalStats]: ...
@overload
def varifocal_loss(logits: _Array, targets: _Array, alpha: float = ..., gamma: float = ..., reduction: str = ..., *,
                   iou_weighted: bool = ..., normalizer: Optional[float] = ..., return_grad: bool = ...,
                   num_threads: Optional[int] = ..., precision: str = ..., weights: Optional[_Array] = ...,
                   return_stats: bool = ...) -> Any: ...

def sigmoid_focal_grad_hess(logits: _Array, targets: _Array, alpha: Optional[float] = ..., gamma: float = ..., *,
                            weights: Optional[_Array] = ..., hessian: _Hessian = ...,
                            precision: _Precision = ..., num_threads: Optional[int] = ...) -> Tuple[_Grad, _Grad]: ...
def softmax_focal_grad_hess(logits: _Array, labels: _Array, alpha: _ClassWeights = ..., gamma: float = ..., *,
                            weights: Optional[_Array] = ..., hessian: _Hessian = ...,
                            layout: Literal["row", "class"] = ..., ignore_index: int = ...,
                            precision: _Precision = ..., num_threads: Optional[int] = ...) -> Tuple[_Grad, _Grad]: ...

# A float for 1-D targets, an array of C margins otherwise.
def sigmoid_focal_init_score(targets: _Array, alpha: Optional[float] = ..., gamma: float = ...,
                             weights: Optional[_Array] = ..., *,
                             num_threads: Optional[int] = ...) -> Union[float, NDArray[np.floating[Any]]]: ...
def softmax_focal_init_score(labels: _Array, num_classes: int, alpha: _ClassWeights = ..., gamma: float = ...,
                             weights: Optional[_Array] = ..., *, ignore_index: int = ...,
                             num_threads: Optional[int] = ...) -> NDArray[np.float64]: ...

__all__ = ["sigmoid_focal_loss", "sigmoid_focal_loss_from_labels", "softmax_focal_loss", "sigmoid_focal_star_loss",
           "asymmetric_loss", "quality_focal_loss", "varifocal_loss", "sigmoid_focal_grad_hess",
           "softmax_focal_grad_hess", "sigmoid_focal_init_score", "softmax_focal_init_score", "FocalStats",
           "backend", "__version__"]
