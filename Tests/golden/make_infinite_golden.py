"""Golden values of infinite logits from the real peers, where they are finite or +inf.

Writes ``Tests/golden/infinite.json`` (next to this script): for each case, the inputs and what
torch computes, loss and autograd gradient. A peer's NaN is recorded as such and the case says
whether the peer is to be compared (``compare``): the tests compare only where the peer's value is
not NaN, because there the limit exists and torch finds it (cross_entropy masks a class with a
-inf logit; torchvision's gradient at gamma = 0 is finite); elsewhere focalloss takes the limit
itself and the tests check it against the formula.

    /path/to/venv/bin/python Tests/golden/make_infinite_golden.py     (torch and torchvision)
"""
import json
import math
import os

import torch
import torch.nn.functional as F
import torchvision
from torchvision.ops import sigmoid_focal_loss

INF = float("inf")


def encode(value):
    return "nan" if math.isnan(value) else "inf" if value == INF else "-inf" if value == -INF else value


def sigmoid_cases():
    cases = []
    for dtype in (torch.float32, torch.float64):
        for gamma in (0.0, 0.5, 2.0):
            for alpha in (0.25, -1.0):
                for x, t in ((INF, 0.0), (-INF, 1.0), (INF, 1.0), (-INF, 0.0), (INF, 0.3), (-INF, 0.3)):
                    logits = torch.tensor([x], dtype=dtype, requires_grad=True)
                    loss = sigmoid_focal_loss(logits, torch.tensor([t], dtype=dtype), alpha=alpha, gamma=gamma,
                                              reduction="sum")
                    loss.backward()
                    cases.append({"family": "sigmoid", "peer": "torchvision.ops.sigmoid_focal_loss",
                                  "dtype": str(dtype).replace("torch.", ""), "logit": encode(x), "target": t,
                                  "alpha": None if alpha == -1 else alpha, "gamma": gamma,
                                  "loss": encode(loss.item()), "grad": encode(logits.grad.item())})
    return cases


def softmax_cases():
    rows = [([1.0, 2.0, -INF], 0), ([1.0, 2.0, -INF], 1), ([1.0, 2.0, -INF], 2), ([-INF, 0.5, -INF, 3.0], 3),
            ([1.0, INF, 0.0], 0), ([-INF, -INF, -INF], 0)]
    cases = []
    for dtype in (torch.float32, torch.float64):
        for smoothing in (0.0, 0.1):
            for weighted in (False, True):
                for row, y in rows:
                    logits = torch.tensor([row], dtype=dtype, requires_grad=True)
                    weight = torch.tensor([0.5 + c for c in range(len(row))], dtype=dtype) if weighted else None
                    loss = F.cross_entropy(logits, torch.tensor([y]), weight=weight, label_smoothing=smoothing,
                                           reduction="sum")
                    loss.backward()
                    cases.append({"family": "softmax", "peer": "torch.nn.functional.cross_entropy",
                                  "dtype": str(dtype).replace("torch.", ""), "logits": [encode(v) for v in row],
                                  "target": y, "alpha": None if weight is None else weight.tolist(), "gamma": 0.0,
                                  "label_smoothing": smoothing, "loss": encode(loss.item()),
                                  "grad": [encode(v) for v in logits.grad[0].tolist()]})
    return cases


def main():
    torch.set_num_threads(1)
    cases = sigmoid_cases() + softmax_cases()
    for case in cases:
        grads = case["grad"] if isinstance(case["grad"], list) else [case["grad"]]
        case["compare"] = "nan" not in grads and case["loss"] != "nan"
    out = {"generator": "Tests/golden/make_infinite_golden.py",
           "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__},
           "notes": ["reduction sum; 'grad' is d loss / d logits by autograd",
                     "compare = false where the peer gives NaN: focalloss's limit is checked against the formula"],
           "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "infinite.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote %s: %d cases, %d compared" % (path, len(cases), sum(c["compare"] for c in cases)))


if __name__ == "__main__":
    main()
