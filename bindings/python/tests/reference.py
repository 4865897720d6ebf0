"""Float64 numpy references, written from the definitions, independent of the library.

The gradients use the textbook chain rule, with (1 - p)^(gamma - 1), only where 1 - p > 0;
`scale` returns the sum of the absolute values of a gradient's terms, the yardstick for its
rounding error where the terms cancel (soft targets, label smoothing).
"""

import numpy as np


def sigmoid(x, t, alpha, gamma):
    """Per-element loss, gradient and gradient scale, in float64."""
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    log_p = -np.logaddexp(0.0, -x)
    log_q = -np.logaddexp(0.0, x)
    p, q = np.exp(log_p), np.exp(log_q)
    bce = -(t * log_p + (1 - t) * log_q)
    m = t * q + (1 - t) * p
    alpha_t = np.ones_like(x) if alpha is None or alpha == -1 else alpha * t + (1 - alpha) * (1 - t)
    focus = np.ones_like(x) if gamma == 0 else m**gamma
    # gamma * B * m^(gamma - 1) * dm/dx, as m^gamma * (dm/dx / m): m^(gamma - 1) alone overflows
    # for a subnormal m (a soft target of 1e-313) where the product is tiny.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(m > 0, p * q * (1 - 2 * t) / np.where(m > 0, m, 1.0), 0.0)
        second = bce * gamma * focus * ratio if gamma else 0 * x
    first = (p * (1 - t) - t * q) * focus
    loss = alpha_t * bce * focus
    grad = alpha_t * (first + second)
    scale = np.abs(alpha_t) * (np.abs(p * (1 - t)) * focus + np.abs(t * q) * focus + np.abs(second))
    return loss, grad, scale


def softmax(x, y, alpha, gamma, ignore_index, smoothing):
    """Per-position loss (N, ...), gradient and scale (N, C, ...), in float64."""
    x = np.asarray(x, dtype=np.float64)
    n, c = x.shape[0], x.shape[1]
    rows = np.moveaxis(x, 1, -1).reshape(-1, c)
    labels = np.asarray(y).reshape(-1)
    weights = np.ones(c) if alpha is None else np.asarray(alpha, dtype=np.float64)
    losses = np.zeros(len(labels))
    grads = np.zeros_like(rows)
    scales = np.zeros_like(rows)
    for r, (row, label) in enumerate(zip(rows, labels)):
        if label == ignore_index:
            continue
        # log-sum-exp around the maximum, with log1p of the other terms so that log p of a
        # near-certain class keeps its digits.
        k = int(np.argmax(row))
        others = np.exp(row - row[k])
        others[k] = 0.0
        log_p = (row - row[k]) - np.log1p(others.sum())
        p = np.exp(log_p)
        m = -np.expm1(log_p)
        q = np.full(c, smoothing / c)
        q[label] += 1 - smoothing
        a = weights * q
        for k in range(c):
            if a[k] == 0:
                continue
            focus = 1.0 if gamma == 0 else m[k] ** gamma
            losses[r] += -a[k] * focus * log_p[k]
            d_log_p = -p  # d log p_k / dx_j = [k = j] - p_j, with 1 - p_k taken without cancellation
            d_log_p[k] = m[k]
            first = -a[k] * focus * d_log_p
            if gamma == 0 or m[k] == 0:
                second = np.zeros(c)
            else:
                second = -a[k] * gamma * m[k] ** (gamma - 1) * (-p[k] * d_log_p) * log_p[k]
            grads[r] += first + second
            scales[r] += np.abs(first) + np.abs(second)
    shape = (n,) + x.shape[2:]
    back = lambda v: np.moveaxis(v.reshape(shape + (c,)), -1, 1)  # noqa: E731
    return losses.reshape(shape), back(grads), back(scales)


def reduce(losses, reduction, divisor):
    if reduction == "none":
        return losses
    total = np.sum(losses, dtype=np.float64)
    return total if reduction == "sum" else (np.nan if divisor == 0 else total / divisor)
