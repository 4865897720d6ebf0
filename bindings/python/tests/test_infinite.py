"""Infinite logits are taken as limits (docs/math.md, "Non-finite logits"), on this backend.

Against torch (Tests/golden/infinite.json, written by Tests/golden/make_infinite_golden.py) where
torch is not NaN, and against the limits' formulas where it is: a sigmoid logit of +-inf gives loss
0 (agreeing with its target) or +inf, and a finite gradient; a -inf softmax logit is a class of
probability 0; NaN only for a NaN or +inf softmax logit, or a row of -inf alone.
"""
import json
import os

import numpy as np
import pytest

import focalloss

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "..", "Tests", "golden", "infinite.json")
CASES = json.load(open(GOLDEN))["cases"]


def number(value):
    return float(value)  # "inf", "-inf" and "nan" included


def close(ours, expected, dtype):
    ours, expected = np.asarray(ours, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    same_specials = np.array_equal(np.isnan(ours), np.isnan(expected)) and np.array_equal(
        np.isinf(ours), np.isinf(expected)) and np.array_equal(ours[np.isinf(ours)], expected[np.isinf(expected)])
    finite = np.isfinite(expected)
    # float32: torch's own rounding, where smoothing makes a gradient a difference of terms ~1.
    rtol, atol = (1e-12, 1e-300) if dtype == np.float64 else (1e-6, 1e-7)
    return same_specials and np.allclose(ours[finite], expected[finite], rtol=rtol, atol=atol)


def sigmoid_limit(x, t, alpha, gamma):
    """The limits at x = +-inf: the loss, and the gradient alpha_t m^gamma (s - t) with s = 0 or 1,
    m = 1 - p_t (the B*r term's limit is 0)."""
    s = 1.0 if x > 0 else 0.0
    alpha_t = 1.0 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    m = t * (1 - s) + (1 - t) * s
    agrees = m == 0
    return (0.0 if agrees else np.inf), (0.0 if agrees else alpha_t * m ** gamma * (s - t))


@pytest.mark.parametrize("case", [c for c in CASES if c["family"] == "sigmoid"],
                         ids=lambda c: "%s-x%s-t%s-a%s-g%s" % (c["dtype"], c["logit"], c["target"], c["alpha"], c["gamma"]))
def test_sigmoid_infinite_logit(case):
    dtype = np.dtype(case["dtype"]).type
    x = number(case["logit"])
    # The infinite element between finite ones, with hard and with soft neighbours (both kernel paths).
    for neighbours in ((1.0, 0.0), (0.7, 0.2)):
        logits = np.array([0.5, x, -1.5], dtype=dtype)
        targets = np.array([neighbours[0], case["target"], neighbours[1]], dtype=dtype)
        loss, grad = focalloss.sigmoid_focal_loss(logits, targets, alpha=case["alpha"], gamma=case["gamma"],
                                                  return_grad=True)
        clean_loss, clean_grad = focalloss.sigmoid_focal_loss(logits[[0, 2]], targets[[0, 2]], alpha=case["alpha"],
                                                              gamma=case["gamma"], return_grad=True)
        assert np.array_equal(loss[[0, 2]], clean_loss) and np.array_equal(grad[[0, 2]], clean_grad)
        expected = (number(case["loss"]), number(case["grad"])) if case["compare"] else sigmoid_limit(
            x, case["target"], case["alpha"], case["gamma"])
        assert close([loss[1], grad[1]], expected, dtype), (loss[1], grad[1], expected)
        assert np.isfinite(grad).all()


@pytest.mark.parametrize("case", [c for c in CASES if c["family"] == "softmax"],
                         ids=lambda c: "%s-%s-y%d-e%s-w%s" % (c["dtype"], "_".join(map(str, c["logits"])), c["target"],
                                                               c["label_smoothing"], c["alpha"] is not None))
def test_softmax_infinite_logit_as_cross_entropy(case):
    dtype = np.dtype(case["dtype"]).type
    row = [number(v) for v in case["logits"]]
    # The row between two finite rows; the peer's NaN rows are NaN here too, and only they.
    logits = np.array([[0.3] * len(row), row, [-0.2 * c for c in range(len(row))]], dtype=dtype)
    targets = np.array([0, case["target"], len(row) - 1])
    kwargs = dict(alpha=case["alpha"], gamma=0.0, label_smoothing=case["label_smoothing"])
    loss, grad = focalloss.softmax_focal_loss(logits, targets, reduction="none", return_grad=True, **kwargs)
    clean_loss, clean_grad = focalloss.softmax_focal_loss(logits[[0, 2]], targets[[0, 2]], reduction="none",
                                                          return_grad=True, **kwargs)
    assert np.array_equal(loss[[0, 2]], clean_loss) and np.array_equal(grad[[0, 2]], clean_grad)
    assert close(loss[1], number(case["loss"]), dtype) and close(grad[1], [number(v) for v in case["grad"]], dtype)


def test_softmax_minus_infinity_masks_a_class_for_every_gamma():
    for dtype in (np.float32, np.float64):
        for gamma in (0.5, 2.0, 3.7):
            masked = np.array([[1.0, -np.inf, 2.0, -0.5]], dtype=dtype)
            kept = np.array([[1.0, 2.0, -0.5]], dtype=dtype)
            loss, grad = focalloss.softmax_focal_loss(masked, np.array([2]), gamma=gamma, reduction="sum",
                                                      return_grad=True)
            ref_loss, ref_grad = focalloss.softmax_focal_loss(kept, np.array([1]), gamma=gamma, reduction="sum",
                                                              return_grad=True)
            assert close(loss, ref_loss, dtype) and grad[0, 1] == 0
            assert close(grad[0, [0, 2, 3]], ref_grad[0], dtype)
            # On the target, the loss is +inf and the gradient its limit: -1 there, p_j elsewhere.
            loss, grad = focalloss.softmax_focal_loss(masked, np.array([1]), gamma=gamma, reduction="sum",
                                                      return_grad=True)
            p = np.exp(kept[0].astype(np.float64) - np.log(np.exp(kept[0].astype(np.float64)).sum()))
            assert loss == np.inf and close(grad[0], [p[0], -1.0, p[1], p[2]], dtype)
