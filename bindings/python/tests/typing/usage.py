"""The public API as users call it, type-checked by `make test-typing` (mypy --strict, through the
package's stubs) and run by it (python): assert_type is what mypy must infer, isinstance what the
call returns, so the stubs and the runtime are checked against each other."""

from typing import Any, List, Optional, Tuple, Union, assert_type

import numpy as np
from numpy.typing import NDArray

import focalloss
import focalloss.lightgbm
import focalloss.xgboost

rng = np.random.default_rng(0)
logits = rng.normal(size=(8, 3))
targets = (rng.random((8, 3)) < 0.3).astype(np.float64)
labels = rng.integers(0, 3, 8)

# Sigmoid: an array for "none" (the default), a numpy scalar for "sum" and "mean".
losses = focalloss.sigmoid_focal_loss(logits, targets)
assert_type(losses, NDArray[Any])
assert isinstance(losses, np.ndarray) and losses.shape == (8, 3)

total = focalloss.sigmoid_focal_loss(logits, targets, alpha=None, gamma=0.5, reduction="sum")
assert_type(total, np.floating[Any])
assert isinstance(total, np.floating)

mean, grad = focalloss.sigmoid_focal_loss(logits, targets, 0.25, 2.0, "mean", normalizer=4.0, return_grad=True)
assert_type(mean, np.floating[Any])
assert_type(grad, NDArray[Any])
assert isinstance(mean, np.floating) and isinstance(grad, np.ndarray) and grad.shape == logits.shape

losses, grad, stats = focalloss.sigmoid_focal_loss(logits, targets, weights=np.ones_like(logits), return_grad=True,
                                                   return_stats=True, num_threads=1, precision="fast")
assert_type(stats, focalloss.FocalStats)
positives: float = stats.positives
assert isinstance(stats, focalloss.FocalStats) and positives == targets.sum()

# From integer labels (C = 3 is background), with the stats.
loss, stats = focalloss.sigmoid_focal_loss_from_labels(logits, np.array([0, 1, 2, 3, 0, 1, 2, -100]),
                                                       reduction="mean", return_stats=True)
assert_type(loss, np.floating[Any])
assert isinstance(loss, np.floating) and stats.divisor == 7 * 3

# Softmax: "mean" by default; alpha as a list or an array of class weights.
mean = focalloss.softmax_focal_loss(logits, labels)
assert_type(mean, np.floating[Any])
assert isinstance(mean, np.floating)
per_row, grad = focalloss.softmax_focal_loss(logits, labels, [1.0, 2.0, 1.0], 2.0, "none", return_grad=True)
assert_type(per_row, NDArray[Any])
assert isinstance(per_row, np.ndarray) and per_row.shape == (8,)
loss, grad, stats = focalloss.softmax_focal_loss(logits, labels, alpha=np.ones(3), label_smoothing=0.1,
                                                 ignore_index=-1, return_grad=True, return_stats=True)
assert_type(loss, np.floating[Any])

# Poly-1: poly1_epsilon on the three losses.
losses = focalloss.sigmoid_focal_loss(logits, targets, poly1_epsilon=1.0)
assert_type(losses, NDArray[Any])
mean = focalloss.softmax_focal_loss(logits, labels, poly1_epsilon=-0.25)
assert_type(mean, np.floating[Any])
per_row, grad = focalloss.sigmoid_focal_loss_from_labels(logits, labels, poly1_epsilon=2.0, return_grad=True)
assert_type(grad, NDArray[Any])

# The focal family: the calling conventions of sigmoid_focal_loss.
soft = rng.random((8, 3))
losses = focalloss.sigmoid_focal_star_loss(logits, targets, alpha=0.25, gamma=2.0, beta=1.0)
assert_type(losses, NDArray[Any])
assert isinstance(losses, np.ndarray) and losses.shape == (8, 3)
total, grad = focalloss.asymmetric_loss(logits, targets, 1.0, 4.0, 0.05, "sum", return_grad=True)
assert_type(total, np.floating[Any])
assert_type(grad, NDArray[Any])
assert isinstance(total, np.floating) and grad.shape == logits.shape
mean, stats = focalloss.quality_focal_loss(logits, soft, beta=2.0, reduction="mean", normalizer=8.0,
                                           return_stats=True)
assert_type(mean, np.floating[Any])
assert_type(stats, focalloss.FocalStats)
assert stats.divisor == 8.0
losses, grad, stats = focalloss.varifocal_loss(logits, soft, 0.75, 2.0, iou_weighted=False,
                                               weights=np.ones(8), return_grad=True, return_stats=True,
                                               num_threads=1, precision="exact")
assert_type(losses, NDArray[Any])
assert_type(stats, focalloss.FocalStats)

# A reduction held in a variable of type str: the call's type is Any.
reduction: str = "sum"
anything = focalloss.sigmoid_focal_loss(logits, targets, reduction=reduction)
assert isinstance(anything, np.floating)

# A training step of a data-parallel trainer: the unreduced gradient, summed by hand.
history: List[float] = []
for step in range(3):
    loss_value, step_grad = focalloss.softmax_focal_loss(logits, labels, return_grad=True)
    logits = logits - 0.1 * step_grad
    history.append(float(loss_value))
assert history[2] < history[0]

# Gradient boosting: gradients and Hessians, starting margins, the adapters.
g, h = focalloss.sigmoid_focal_grad_hess(logits, targets, hessian="exact")
assert_type(g, NDArray[Any])
g, h = focalloss.softmax_focal_grad_hess(logits.T.copy(), labels, layout="class", precision="exact")
start = focalloss.sigmoid_focal_init_score(targets[:, 0])
assert_type(start, Union[float, NDArray[np.floating[Any]]])
assert isinstance(start, float)
margins = focalloss.softmax_focal_init_score(labels, 3)
assert_type(margins, NDArray[np.float64])

objective = focalloss.xgboost.objective(gamma=2.0, num_class=3)
assert_type(objective, focalloss.xgboost.Objective)
pair: Tuple[NDArray[Any], NDArray[Any]] = objective(labels.astype(np.float64), logits)
metric = focalloss.xgboost.sigmoid_metric(alpha=0.25, gamma=2.0, name="focal")
value = metric(targets[:, 0], logits[:, 0])
assert isinstance(value, float) and metric.__name__ == "focal"

lgb_objective = focalloss.lightgbm.sigmoid_objective(alpha=None, hessian="clipped")
grad1, hess1 = lgb_objective(targets[:, 0], logits[:, 0], None)
name, score, higher_better = focalloss.lightgbm.softmax_metric(gamma=2.0)(labels.astype(np.float64), logits)
assert_type(higher_better, bool)
assert name == "focal" and higher_better is False

# Another library's CPU array (a torch tensor, a jax array) goes in through DLPack, no copy.
class Producer:
    def __init__(self, array: NDArray[Any]) -> None:
        self.array = array

    def __dlpack__(self, *, stream: Optional[int] = None, **kwargs: Any) -> Any:
        return self.array.__dlpack__(stream=stream, **kwargs)

    def __dlpack_device__(self) -> Tuple[int, int]:
        return self.array.__dlpack_device__()


total = focalloss.sigmoid_focal_loss(Producer(logits), Producer(targets), reduction="sum")
assert_type(total, np.floating[Any])
assert total == focalloss.sigmoid_focal_loss(logits, targets, reduction="sum")

# The package's own facts.
backend: str = focalloss.backend
version: str = focalloss.__version__
assert backend in ("extension", "ctypes") and version.count(".") == 2
print("usage.py: the typed calls ran on the %s backend" % backend)
