#!/usr/bin/env python3
"""The C trainer and the Python adapters agree: every gradient and Hessian that
examples/xgboost_focal.c took from focal_sigmoid_grad_hess_f32 in its first rounds (its
--dump-grad file) is what focalloss.xgboost.objective returns for the same margins and labels,
bit for bit, on the backend FOCALLOSS_BACKEND selects; and the dump's first margin is
focalloss.sigmoid_focal_init_score of the labels.

    check_xgboost_dump.py DUMP     (make test-xgboost runs it on both backends)
"""
import sys

import numpy as np

import focalloss
import focalloss.xgboost


def main(path):
    settings = {}
    with open(path) as f:
        for line in f:
            if line.startswith("# alpha="):
                settings = dict(item.split("=") for item in line[2:].split())
    data = np.loadtxt(path, comments="#", ndmin=2)
    rounds, targets, margins = data[:, 0], data[:, 2], data[:, 3]
    alpha, gamma, hessian = float(settings["alpha"]), float(settings["gamma"]), settings["hessian"]
    objective = focalloss.xgboost.objective(alpha=alpha, gamma=gamma, hessian=hessian)
    checked = 0
    for r in np.unique(rounds):
        rows = rounds == r
        margin = margins[rows].astype(np.float32)  # XGBoost's predictions are float32
        label = targets[rows].astype(np.float32)
        grad, hess = objective(label, margin)  # the scikit-learn call: (y_true, y_pred)
        if not (np.array_equal(grad, data[rows, 4].astype(np.float32))
                and np.array_equal(hess, data[rows, 5].astype(np.float32))):
            bad = np.flatnonzero((grad != data[rows, 4].astype(np.float32)) | (hess != data[rows, 5].astype(np.float32)))
            sys.exit("round %d: the adapter differs from the C trainer at %d rows, first %d"
                     % (r, bad.size, bad[0]))
        checked += rows.sum()
    first = rounds == rounds.min()
    start = focalloss.sigmoid_focal_init_score(targets[first].astype(np.float32), alpha, gamma)
    if np.float32(start) != np.float32(margins[first][0]):
        sys.exit("the starting margin %r is not sigmoid_focal_init_score's %r" % (margins[first][0], start))
    print("check_xgboost_dump: %d gradients and Hessians of %d rounds identical (%s backend), starting margin %.6g"
          % (checked, np.unique(rounds).size, focalloss.backend, start))


if __name__ == "__main__":
    main(sys.argv[1])
