"""Multi-precision reference gradients, Hessians and init scores of the focal losses.

Writes ``Tests/golden/grad_hess.json`` (next to this script). Run it from anywhere with a python3
that has mpmath and numpy (no torch, no focalloss):

    python3 Tests/golden/make_grad_hess_golden.py        (about 1.5 minutes of CPU, one core;
                                                          the output is byte-for-byte reproducible)

The tests read the JSON only; they never need mpmath. It prints its checks (below) and a summary.

JSON layout: "sigmoid": [{x, t, gamma, alpha (-1 = disabled), loss, grad, hess, f32_exact,
[loss_dec, grad_dec, hess_dec]}]; "softmax": [{name, logits, label, alpha (null or C weights),
gamma, loss, grad[C], hess[C], f32_exact, [loss_dec, grad_dec[C], hess_dec[C]]}];
"sigmoid_init": [{name, targets, weights (null or list), f32_exact, cases: [{alpha, gamma,
score}]}]; "softmax_init": [{name, classes, labels, weights, cases: [{alpha, gamma, scores[C]}]}].

How the values are made (an independent reference: no closed form of a derivative is used):

* Each loss is written directly from its definition (DESIGN.md 1.1 and 1.2) in mpmath, with no
  subtraction that loses the value: ``1 - sigmoid(x)`` is ``sigmoid(-x)``, ``log sigmoid(x)`` is
  ``min(x, 0) - log1p(exp(-|x|))``, ``1 - p_t`` is ``p (1 - t) + (1 - p) t``, and for softmax
  ``log p_y = -log1p(sum_{c != y} exp(z_c - z_y))`` and ``1 - p_y = sum_{c != y} p_c``.
* ``d loss/dx`` and ``d2 loss/dx2`` come from mpmath's numerical differentiation (``mp.diff``,
  central differences at several times the working precision) at ``BASE_DPS`` = 80 digits plus
  ``|x| / ln 10`` digits (softmax: the spread of the row), so that terms of relative size
  ``exp(-|x|)`` next to a loss of size ``|x|`` are resolved. Every derivative is computed a second
  time at ``CHECK_DPS`` = 60 digits with a different step (``h = 2**-150``); the two must agree to
  1e-40 relative. Where they do not and both are below 1e-70 of the loss, the derivative is a true 0
  and is recorded as 0 (the one true zero, x = 0 with t = 0.5, comes out exactly 0 anyway: the loss
  is evaluated bitwise symmetrically there). The first derivative reuses the samples of the second
  (step 2h against h): half the evaluations, same formulas.
* Float64 values are rounded from a 40-digit decimal string (correct rounding, subnormals and
  underflow to 0 included). Where the exact value is nonzero but below the smallest normal float64
  (so the float64 is subnormal or 0), the case also carries ``<name>_dec``: the value with 25
  significant digits.
* Init scores: sigmoid, ``x*`` is the sign change of ``S'(x)`` (``S`` the weighted summed loss,
  ``S'`` by ``mp.diff``), bracketed, then narrowed by the Illinois method to 1e-42; checked
  by the sign change over ``x* (1 +- 1e-30)``, ``S''(x*) > 0`` and ``S(x* +- 1e-6) > S(x*)``.
  Softmax, the shared logits minimise ``sum_c W_c (1 - p_c)^gamma (-log p_c)`` over ``C - 1`` free
  logits by damped Newton with gradient and Hessian from ``mp.diff`` partials; checked by a
  positive definite Hessian and by the simplex optimality condition (``d/dp_c`` of each class's
  term equal across classes). A class with ``W_c = 0`` gets ``"-inf"`` (taking its mass to the
  other classes lowers every other term), and the rest is solved without it. A sigmoid problem whose
  ``S'`` keeps one sign over ``[-2048, 2048]`` (all targets 0, or all 1) gets ``"-inf"``/``"+inf"``.
  Newton starts from the uniform distribution, so the gamma = 0 closed form is only a check.

Checks printed (not tests): a third differentiation method on a sample (Cauchy's integral,
``mp.diff(method='quad')``); at gamma = 0 with alpha off, grad = p - t and hess = p (1 - p); the
hard-target gradient formula of DESIGN.md 1.4 at every gamma and alpha; softmax at gamma = 0,
grad = a_y (p - onehot) and hess = a_y p_c (1 - p_c); the sign change of the sigmoid Hessian near
x = -2.79 at gamma = 2, t = 1; the init scores at gamma = 0 against logit(rate) and log(W_c / sum W).
"""
import json
import math
import os
import sys
import time

import mpmath
import numpy as np
from mpmath import mp, mpf

BASE_DPS = 80
CHECK_DPS = 60
INIT_DPS = 50
AGREE = mpf("1e-40")
ZERO_REL = mpf("1e-70")
SMALLEST_NORMAL = 2.2250738585072014e-308

SIG_X = [0.0, 1e-8, 0.1, 1.0, 2.8, 5.0, 10.0, 17.0, 30.0, 100.0, 120.0, 720.0, 1000.0, 1e4]
SIG_T = [0.0, 1.0, 0.3, 0.5, 0.9]
GAMMAS = [0.0, 0.5, 1.0, 2.0, 5.0]
SIG_ALPHAS = [0.25, -1.0]
INIT_GAMMAS = [0.0, 0.5, 2.0, 5.0]


def f32(v):
    return float(np.float32(v))


def is_f32(v):
    return float(np.float32(v)) == v


def to_f64(v):
    """Correctly rounded float64 of an mpf (via 40 digits: float() of a decimal string rounds right)."""
    if mp.isnan(v):
        return float("nan")
    if mp.isinf(v):
        return float(v)
    with mp.workdps(50):
        return float(mp.nstr(+v, 40, min_fixed=1, max_fixed=0))


def enc(v):
    return "nan" if math.isnan(v) else "inf" if v == math.inf else "-inf" if v == -math.inf else v


def dec25(v):
    with mp.workdps(50):
        return mp.nstr(+v, 25, min_fixed=1, max_fixed=0)


def needs_dec(v):
    return v != 0 and abs(v) < SMALLEST_NORMAL


def extra_digits(span):
    return int(abs(span) / math.log(10)) + 5


# ----------------------------------------------------------------------------------------------
# The losses, from the definitions


def log1p(u):
    """log(1 + u). mpmath's log1p works at twice the precision, slow at the thousands of digits that
    |x| = 1e4 needs; for |u| below 2^(-prec/8) its Taylor series takes at most 8 terms."""
    if u != 0 and mp.mag(u) < -mp.prec // 8:
        total, term, k = mpf(0), u, 1
        while True:
            total += term / k
            term *= -u
            k += 1
            if mp.mag(term) < mp.mag(u) - mp.prec - 10:
                return total
    return mp.log1p(u)


def sigmoid_loss(x, t, gamma, alpha):
    """x, t, gamma: mpf; alpha: mpf or None (disabled)."""
    e = mp.exp(-abs(x))                # in (0, 1]: no overflow, no log of a huge number
    if x >= 0:
        p, q = 1 / (1 + e), e / (1 + e)   # p = sigmoid(x), q = 1 - sigmoid(x) = sigmoid(-x)
    else:
        p, q = e / (1 + e), 1 / (1 + e)
    softplus_tail = log1p(e)
    log_p = min(x, 0) - softplus_tail  # log sigmoid(x)
    log_q = min(-x, 0) - softplus_tail # log sigmoid(-x)
    one_minus_pt = p * (1 - t) + q * t  # 1 - (p t + (1 - p)(1 - t)), no cancellation
    bce = 0
    if t != 0:
        bce -= t * log_p
    if t != 1:
        bce -= (1 - t) * log_q
    alpha_t = 1 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    focal = 1 if gamma == 0 else one_minus_pt ** gamma
    return alpha_t * bce * focal


def softmax_loss(z, y, gamma, a_y):
    """z: list of mpf; loss = -a_y (1 - p_y)^gamma log p_y."""
    zy = z[y]
    others = mp.fsum(mp.exp(zc - zy) for c, zc in enumerate(z) if c != y)   # (1 - p_y) / p_y
    log_py = -log1p(others)
    one_minus_py = others / (1 + others)
    focal = 1 if gamma == 0 else one_minus_py ** gamma
    return -a_y * focal * log_py


# ----------------------------------------------------------------------------------------------
# Derivatives with the two-precision check

STATS = {"derivs": 0, "zeroed": 0, "max_rel_disagreement": mpf(0)}


def derivs(f, x, h2):
    """(f(x), f'(x), f''(x)) by mp.diff with step h2 for the second derivative (mp.diff's default
    when None) and twice that for the first. The second derivative is taken first: its samples
    x - 2 h2, x, x + 2 h2 are computed at the highest working precision and memoised, and the first
    derivative (samples x -+ 2 h2) reuses them: half the evaluations."""
    memo = {}

    def g(u):
        if u not in memo:
            memo[u] = f(u)
        return memo[u]

    if h2 is None:
        h2 = mp.ldexp(1, -mp.prec - 10)
    d2 = mp.diff(g, x, 2, h=h2)
    d1 = mp.diff(g, x, 1, h=2 * h2)
    return +g(x), d1, d2


def checked_derivs(make_f, x0, extra, loss_scale_fn):
    """Returns (value, d1, d2) as mpf at BASE_DPS + extra, each derivative checked at CHECK_DPS
    with another step."""
    with mp.workdps(BASE_DPS + extra):
        value, d1, d2 = derivs(make_f(), mpf(x0), None)
        d = [d1, d2]
    with mp.workdps(CHECK_DPS + extra):
        _, c1, c2 = derivs(make_f(), mpf(x0), mpf(2) ** -150)
        c = [c1, c2]
    scale = abs(loss_scale_fn(value))
    out = []
    for k in range(2):
        STATS["derivs"] += 1
        a, b = d[k], c[k]
        big = max(abs(a), abs(b))
        if big == 0:
            out.append(mpf(0))
            continue
        rel = abs(a - b) / big
        if rel <= AGREE:
            STATS["max_rel_disagreement"] = max(STATS["max_rel_disagreement"], rel)
            out.append(a)
        elif big <= ZERO_REL * scale:
            STATS["zeroed"] += 1
            out.append(mpf(0))
        else:
            raise RuntimeError("derivative %d unstable at x=%r: %s vs %s" % (k + 1, x0, a, b))
    return value, out[0], out[1]


# ----------------------------------------------------------------------------------------------
# 1. Sigmoid per element


def sigmoid_xs():
    rng = np.random.default_rng(20240611)
    xs = [0.0] + [s * v for v in SIG_X[1:] for s in (1.0, -1.0)]
    randoms = [f32(v) for v in rng.standard_normal(6) * 4.0] + [f32(v) for v in rng.uniform(-60, 60, 2)]
    return xs + randoms


def sigmoid_section():
    cases = []
    for x in sigmoid_xs():
        for t in SIG_T:
            for gamma in GAMMAS:
                for alpha in SIG_ALPHAS:
                    T, G = mpf(t), mpf(gamma)
                    A = None if alpha == -1 else mpf(alpha)
                    value, d1, d2 = checked_derivs(
                        lambda: (lambda u: sigmoid_loss(u, T, G, A)), x, extra_digits(x), lambda v: v)
                    case = {"x": x, "t": t, "gamma": gamma, "alpha": alpha,
                            "loss": to_f64(value), "grad": to_f64(d1), "hess": to_f64(d2)}
                    for name, v in (("loss", value), ("grad", d1), ("hess", d2)):
                        if needs_dec(v):
                            case[name + "_dec"] = dec25(v)
                    case["f32_exact"] = is_f32(x) and is_f32(t)
                    case["_mp"] = (value, d1, d2)
                    cases.append(case)
    return cases


# ----------------------------------------------------------------------------------------------
# 2. Softmax per row


def softmax_rows():
    rng = np.random.default_rng(77031)
    rows = []
    for C in (2, 3, 5, 10):
        for scale in (1.0, 10.0, 100.0):
            for _ in range(2):
                z = [f32(v) for v in rng.standard_normal(C) * scale]
                rows.append(("random scale %g" % scale, z, int(rng.integers(C))))
        base = [f32(v) for v in rng.standard_normal(C)]
        y = C - 1
        for name, shift in (("label +40 (1 - p_y ~ 1e-17)", 40.0), ("label +800 (1 - p_y underflows)", 800.0),
                            ("label -40 (p_y ~ 1e-17)", -40.0), ("label -800 (p_y underflows)", -800.0)):
            z = list(base)
            z[y] = f32(base[y] + shift)
            rows.append((name, z, y))
        rows.append(("ties", [0.5] * C, 0))
        rows.append(("spread 1e3", [f32(v) for v in np.linspace(-500.0, 500.0, C)], C // 2))
    return rows


def softmax_alpha(C):
    return [0.25 * (k + 1) for k in range(C)]


def softmax_section():
    cases = []
    for name, z, y in softmax_rows():
        C = len(z)
        extra = extra_digits(max(z) - min(z))
        for gamma in GAMMAS:
            for alpha in (None, softmax_alpha(C)):
                G = mpf(gamma)
                a_y = mpf(1) if alpha is None else mpf(alpha[y])
                grads, hess, mps = [], [], []
                value = None
                for c in range(C):
                    def make_f(c=c):
                        Z = [mpf(v) for v in z]
                        return lambda u: softmax_loss(Z[:c] + [u] + Z[c + 1:], y, G, a_y)
                    v, d1, d2 = checked_derivs(make_f, z[c], extra, lambda v: v)
                    value = v
                    grads.append(d1)
                    hess.append(d2)
                case = {"name": name, "logits": z, "label": y, "alpha": alpha, "gamma": gamma,
                        "loss": to_f64(value), "grad": [to_f64(v) for v in grads],
                        "hess": [to_f64(v) for v in hess]}
                if needs_dec(value):
                    case["loss_dec"] = dec25(value)
                if any(needs_dec(v) for v in grads):
                    case["grad_dec"] = [dec25(v) for v in grads]
                if any(needs_dec(v) for v in hess):
                    case["hess_dec"] = [dec25(v) for v in hess]
                case["f32_exact"] = all(is_f32(v) for v in z) and (alpha is None or all(is_f32(v) for v in alpha))
                case["_mp"] = (value, grads, hess)
                cases.append(case)
    return cases


# ----------------------------------------------------------------------------------------------
# 3a. Sigmoid init score


def sigmoid_init_problems():
    rng = np.random.default_rng(5150)
    problems = []

    def hard(n, positives):
        t = np.zeros(n)
        t[rng.choice(n, positives, replace=False)] = 1.0
        return [float(v) for v in t]

    bases = [("hard, rate 1%", hard(200, 2)), ("hard, rate 10%", hard(100, 10)),
             ("hard, rate 50%", hard(20, 10)), ("hard, rate 90%", hard(50, 45)),
             ("soft, uniform", [f32(v) for v in rng.uniform(0, 1, 60)]),
             ("soft, skewed beta(0.3, 2) with exact 0s and 1s",
              [f32(v) for v in rng.beta(0.3, 2.0, 40)] + [0.0] * 5 + [1.0] * 2)]
    for name, t in bases:
        problems.append({"name": name, "targets": t, "weights": None})
        w = [f32(v) for v in rng.uniform(0.1, 3.0, len(t))]
        problems.append({"name": name + ", weighted", "targets": t, "weights": w})
    problems.append({"name": "all targets 0 (no minimum: -inf)", "targets": [0.0] * 20, "weights": None})
    problems.append({"name": "all targets 1 (no minimum: +inf)", "targets": [1.0] * 20, "weights": None})
    return problems


def sigmoid_init_solve(groups, gamma, alpha):
    """groups: list of (t, W) mpf. Returns (score mpf, info)."""
    G = mpf(gamma)
    A = None if alpha == -1 else mpf(alpha)

    def S(x):
        return mp.fsum(W * sigmoid_loss(x, t, G, A) for t, W in groups)

    def dS(x):
        return mp.diff(S, x)

    lo, hi = mpf(-1), mpf(1)
    while dS(lo) >= 0:
        if lo < -1024:
            return mp.ninf, "S' > 0 down to %s" % lo
        lo *= 2
    while dS(hi) <= 0:
        if hi > 1024:
            return mp.inf, "S' < 0 up to %s" % hi
        hi *= 2
    # The Illinois variant of regula falsi: keeps the bracket, converges superlinearly.
    f_lo, f_hi = dS(lo), dS(hi)
    side = 0
    tol = mpf(10) ** -(INIT_DPS - 8)
    for _ in range(400):
        r = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        f_r = dS(r)
        if f_r == 0 or hi - lo < tol * max(1, abs(r)):
            break
        if f_r > 0:
            hi, f_hi = r, f_r
            if side == -1:
                f_lo /= 2
            side = -1
        else:
            lo, f_lo = r, f_r
            if side == 1:
                f_hi /= 2
            side = 1
    else:
        raise RuntimeError("sigmoid init: no convergence")
    eps = mpf(10) ** -30 * max(1, abs(r))
    ok_sign = dS(r - eps) < 0 < dS(r + eps)
    s2 = mp.diff(S, r, 2)
    ok_min = S(r + mpf("1e-6")) > S(r) and S(r - mpf("1e-6")) > S(r) and s2 > 0
    if not (ok_sign and ok_min):
        raise RuntimeError("sigmoid init: not a verified minimum at %s" % r)
    return r, "S''(x*) = %s" % mp.nstr(s2, 6)


def sigmoid_init_section():
    out = []
    n_cases = 0
    for prob in sigmoid_init_problems():
        with mp.workdps(INIT_DPS):
            weights = prob["weights"] or [1.0] * len(prob["targets"])
            by_t = {}
            for t, w in zip(prob["targets"], weights):
                by_t[t] = by_t.get(t, mpf(0)) + mpf(w)          # exact: float64 sums at 166 bits
            groups = [(mpf(t), W) for t, W in sorted(by_t.items())]
            cases = []
            for alpha in SIG_ALPHAS:
                for gamma in INIT_GAMMAS:
                    r, info = sigmoid_init_solve(groups, gamma, alpha)
                    cases.append({"alpha": alpha, "gamma": gamma, "score": enc(to_f64(r)), "_mp": r,
                                  "_info": info})
                    n_cases += 1
        entry = dict(prob)
        entry["f32_exact"] = all(is_f32(v) for v in prob["targets"] + (prob["weights"] or []))
        entry["cases"] = cases
        out.append(entry)
    return out, n_cases


# ----------------------------------------------------------------------------------------------
# 3b. Softmax init score


def softmax_objective(Wc, gamma):
    """F(s_0..s_{k-2}) with s_{k-1} = 0, over the classes with W_c > 0."""
    G = mpf(gamma)
    k = len(Wc)

    def F(*u):
        s = list(u) + [mpf(0)]
        m = max(s)
        e = [mp.exp(v - m) for v in s]
        total = mp.fsum(e)
        terms = []
        for c in range(k):
            log_p = s[c] - m - mp.log(total)
            one_minus_p = mp.fsum(e[d] for d in range(k) if d != c) / total
            focal = 1 if gamma == 0 else one_minus_p ** G
            terms.append(Wc[c] * focal * (-log_p))
        return mp.fsum(terms)

    return F


def softmax_init_solve(Wc, gamma):
    """Wc: list of positive mpf. Returns log p (list of mpf) and a verification note."""
    k = len(Wc)
    if k == 1:
        return [mpf(0)], "one class"
    F = softmax_objective(Wc, gamma)
    m = k - 1
    total = mp.fsum(Wc)
    u = [mpf(0)] * m     # start from the uniform distribution

    def grad_hess(u):
        g = mp.matrix(m, 1)
        H = mp.matrix(m, m)
        for i in range(m):
            order = [0] * m
            order[i] = 1
            g[i] = mp.diff(F, u, tuple(order))
            for j in range(i, m):
                order = [0] * m
                order[i] += 1
                order[j] += 1
                H[i, j] = H[j, i] = mp.diff(F, u, tuple(order))
        return g, H

    Fu = F(*u)
    for it in range(100):
        g, H = grad_hess(u)
        step = mp.lu_solve(H, -g)
        size = max(abs(step[i]) for i in range(m))
        lam = mpf(1)
        while size > mpf(10) ** -8:   # backtracking far from the minimum; near it, plain Newton
            cand = [u[i] + lam * step[i] for i in range(m)]
            Fc = F(*cand)
            if Fc <= Fu or lam < mpf(10) ** -20:
                break
            lam /= 2
        u = [u[i] + lam * step[i] for i in range(m)]
        Fu = F(*u)
        if size < mpf(10) ** -(INIT_DPS - 10):
            break
    else:
        raise RuntimeError("softmax init: Newton did not converge")
    g, H = grad_hess(u)
    gnorm = max(abs(g[i]) for i in range(m))
    mp.cholesky(H)   # raises unless positive definite
    if gnorm > mpf(10) ** -(INIT_DPS - 15) * total:
        raise RuntimeError("softmax init: gradient %s not 0" % gnorm)
    s = list(u) + [mpf(0)]
    lse = max(s) + mp.log(mp.fsum(mp.exp(v - max(s)) for v in s))
    logp = [v - lse for v in s]
    # Optimality on the simplex: d/dp [W_c (1 - p)^gamma (-log p)] equal for every class.
    G = mpf(gamma)
    lams = [mp.diff(lambda p, c=c: Wc[c] * (1 if gamma == 0 else (1 - p) ** G) * (-mp.log(p)), mp.exp(logp[c]))
            for c in range(k)]
    spread = (max(lams) - min(lams)) / abs(lams[0])
    if spread > mpf(10) ** -30:
        raise RuntimeError("softmax init: KKT spread %s" % spread)
    return logp, "Newton its %d, |grad| %s, KKT spread %s" % (it + 1, mp.nstr(gnorm, 3), mp.nstr(spread, 3))


def softmax_init_problems():
    rng = np.random.default_rng(90210)
    specs = [("C=2, 90/10", 50, [0.9, 0.1]),
             ("C=3, 70/20/10", 200, [0.7, 0.2, 0.1]),
             ("C=5, 60/20/10/7/3", 500, [0.6, 0.2, 0.1, 0.07, 0.03]),
             ("C=5, class 3 absent", 120, [0.5, 0.3, 0.15, 0.0, 0.05])]
    problems = []
    for name, n, freq in specs:
        C = len(freq)
        labels = [int(v) for v in rng.choice(C, n, p=freq)]
        for c in range(C):      # every class of nonzero frequency appears at least once
            if freq[c] > 0 and c not in labels:
                labels[int(rng.integers(n))] = c
        problems.append({"name": name, "classes": C, "labels": labels, "weights": None})
        w = [f32(v) for v in rng.uniform(0.1, 3.0, n)]
        problems.append({"name": name + ", weighted", "classes": C, "labels": labels, "weights": w})
    return problems


def softmax_init_section():
    out = []
    n_cases = 0
    for prob in softmax_init_problems():
        C = prob["classes"]
        cases = []
        with mp.workdps(INIT_DPS):
            weights = prob["weights"] or [1.0] * len(prob["labels"])
            counts = [mpf(0)] * C
            for y, w in zip(prob["labels"], weights):
                counts[y] += mpf(w)
            for alpha in (None, softmax_alpha(C)):
                Wc = [counts[c] * (1 if alpha is None else mpf(alpha[c])) for c in range(C)]
                live = [c for c in range(C) if Wc[c] > 0]
                for gamma in INIT_GAMMAS:
                    logp_live, info = softmax_init_solve([Wc[c] for c in live], gamma)
                    logp = [mp.ninf] * C
                    for c, v in zip(live, logp_live):
                        logp[c] = v
                    cases.append({"alpha": alpha, "gamma": gamma, "scores": [enc(to_f64(v)) for v in logp],
                                  "_mp": logp, "_W": Wc, "_info": info})
                    n_cases += 1
        entry = dict(prob)
        entry["cases"] = cases
        out.append(entry)
    return out, n_cases


# ----------------------------------------------------------------------------------------------
# 4. Sanity checks (printed, not tests)


def sigmoid_loss_analytic(z, t, gamma, alpha):
    """The sigmoid loss again, without abs/min, so that it takes complex z (for the contour check)."""
    p, q = 1 / (1 + mp.exp(-z)), 1 / (1 + mp.exp(z))
    log_p, log_q = -mp.log1p(mp.exp(-z)), -mp.log1p(mp.exp(z))
    bce = -(t * log_p + (1 - t) * log_q)
    alpha_t = 1 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    return alpha_t * bce * (1 if gamma == 0 else (p * (1 - t) + q * t) ** gamma)


def contour_check(sig, soft):
    """A third, unrelated method on a sample: Cauchy's integral formula (mp.diff method='quad',
    radius 0.5: the losses are analytic within pi of the real axis)."""
    worst = mpf(0)
    n = 0
    with mp.workdps(40):
        for c in sig[::11]:
            if abs(c["x"]) > 30:
                continue
            T, G = mpf(c["t"]), mpf(c["gamma"])
            A = None if c["alpha"] == -1 else mpf(c["alpha"])
            f = lambda u: sigmoid_loss_analytic(u, T, G, A)
            for k in (1, 2):
                v = mp.re(mp.diff(f, mpf(c["x"]), k, method="quad", radius=0.5))
                ref = c["_mp"][k]
                worst = max(worst, abs(v - ref) / max(abs(ref), abs(c["_mp"][0]), mpf(10) ** -30))
                n += 1
        for c in soft[::13]:
            z = c["logits"]
            if max(z) - min(z) > 30:
                continue
            y, G = c["label"], mpf(c["gamma"])
            a_y = mpf(1) if c["alpha"] is None else mpf(c["alpha"][y])
            Z = [mpf(v) for v in z]
            for j in range(len(z)):
                f = lambda u, j=j: softmax_loss(Z[:j] + [u] + Z[j + 1:], y, G, a_y)
                for k in (1, 2):
                    v = mp.re(mp.diff(f, Z[j], k, method="quad", radius=0.5))
                    ref = c["_mp"][k][j]
                    worst = max(worst, abs(v - ref) / max(abs(ref), abs(c["_mp"][0]), mpf(10) ** -30))
                    n += 1
    print("  contour-integral derivatives (a third method), %d sampled values with |x| <= 30: "
          "max rel difference %s" % (n, mp.nstr(worst, 3)))


def rel(a, b):
    if a == b:
        return mpf(0)
    return abs(a - b) / max(abs(a), abs(b))


def sanity(sig, soft, sig_init, soft_init):
    print("\nSanity checks")
    contour_check(sig, soft)
    worst_g = worst_h = mpf(0)
    for c in sig:
        if c["gamma"] == 0 and c["alpha"] == -1:
            with mp.workdps(BASE_DPS + extra_digits(c["x"])):
                x, t = mpf(c["x"]), mpf(c["t"])
                p, q = 1 / (1 + mp.exp(-x)), 1 / (1 + mp.exp(x))
                g_ref = p - t if t != 1 else -q
                _, d1, d2 = c["_mp"]
                worst_g = max(worst_g, rel(d1, g_ref) if abs(g_ref) > mpf(10) ** -60 else abs(d1))
                worst_h = max(worst_h, rel(d2, p * q))
    print("  sigmoid gamma=0, alpha off: max rel |grad - (p - t)| = %s, max rel |hess - p(1-p)| = %s"
          % (mp.nstr(worst_g, 3), mp.nstr(worst_h, 3)))

    # The design's hard-target gradient formula (DESIGN.md 1.4), every gamma and alpha.
    worst = mpf(0)
    for c in sig:
        if c["t"] in (0.0, 1.0):
            with mp.workdps(BASE_DPS + extra_digits(c["x"])):
                s = 2 * mpf(c["t"]) - 1
                xt = s * mpf(c["x"])
                pt, qt = 1 / (1 + mp.exp(-xt)), 1 / (1 + mp.exp(xt))
                log_pt = min(xt, 0) - log1p(mp.exp(-abs(xt)))
                G = mpf(c["gamma"])
                at = 1 if c["alpha"] == -1 else (c["alpha"] if c["t"] == 1 else 1 - c["alpha"])
                focal = 1 if c["gamma"] == 0 else qt ** G
                g_ref = s * (-at * focal * (qt - G * pt * log_pt))
                worst = max(worst, rel(c["_mp"][1], g_ref))
    print("  sigmoid hard targets, all gamma/alpha: max rel |grad - DESIGN 1.4 formula| = %s" % mp.nstr(worst, 3))

    worst_g = worst_h = mpf(0)
    for c in soft:
        if c["gamma"] == 0:
            z, y = c["logits"], c["label"]
            with mp.workdps(BASE_DPS + extra_digits(max(z) - min(z))):
                a_y = mpf(1) if c["alpha"] is None else mpf(c["alpha"][y])
                Z = [mpf(v) for v in z]
                m = max(Z)
                e = [mp.exp(v - m) for v in Z]
                tot = mp.fsum(e)
                _, grads, hess = c["_mp"]
                for k in range(len(z)):
                    pk = e[k] / tot
                    qk = mp.fsum(e[d] for d in range(len(z)) if d != k) / tot
                    g_ref = a_y * (pk if k != y else -qk)
                    worst_g = max(worst_g, rel(grads[k], g_ref))
                    worst_h = max(worst_h, rel(hess[k], a_y * pk * qk))
    print("  softmax gamma=0 (alpha off and on): max rel |grad - a_y (p - onehot)| = %s, "
          "max rel |hess - a_y p_c (1 - p_c)| = %s" % (mp.nstr(worst_g, 3), mp.nstr(worst_h, 3)))

    with mp.workdps(40):
        for alpha in (None, mpf("0.25")):
            h2 = lambda x: mp.diff(lambda u: sigmoid_loss(u, mpf(1), mpf(2), alpha), x, 2)
            root = mp.findroot(h2, (mpf(-4), mpf(-2)), solver="anderson")
            print("  sigmoid gamma=2, t=1, alpha=%s: hess(-4) = %s, hess(-2) = %s, sign change at x = %s"
                  % ("off" if alpha is None else "0.25", mp.nstr(h2(mpf(-4)), 6), mp.nstr(h2(mpf(-2)), 6),
                     mp.nstr(root, 20)))

    worst = mpf(0)
    with mp.workdps(INIT_DPS):
        for prob in sig_init:
            for c in prob["cases"]:
                if c["gamma"] == 0 and c["alpha"] == -1 and mp.isfinite(c["_mp"]):
                    w = prob["weights"] or [1.0] * len(prob["targets"])
                    rate = mp.fsum(mpf(a) * mpf(b) for a, b in zip(prob["targets"], w)) / mp.fsum(mpf(b) for b in w)
                    worst = max(worst, abs(c["_mp"] - mp.log(rate / (1 - rate))))
                    print("  sigmoid init %-52s gamma=0, alpha off: %s vs logit(rate) %s"
                          % (prob["name"], mp.nstr(c["_mp"], 17), mp.nstr(mp.log(rate / (1 - rate)), 17)))
    print("  sigmoid init gamma=0, alpha off: max |score - logit(weighted rate)| = %s" % mp.nstr(worst, 3))

    worst = mpf(0)
    with mp.workdps(INIT_DPS):
        for prob in soft_init:
            for c in prob["cases"]:
                if c["gamma"] == 0:
                    W = c["_W"]
                    tot = mp.fsum(W)
                    for v, Wk in zip(c["_mp"], W):
                        if Wk > 0:
                            worst = max(worst, abs(v - mp.log(Wk / tot)))
    print("  softmax init gamma=0 (alpha off and on): max |score - log(W_c / sum W)| = %s" % mp.nstr(worst, 3))


def summary(sig, soft, sig_init, soft_init):
    print("\nSummary")
    neg = {}
    for c in sig:
        if c["hess"] < 0:
            key = (c["t"], c["gamma"])
            neg.setdefault(key, []).append(c["x"])
    print("  sigmoid: %d of %d cases have hess < 0 (float64); by (t, gamma): x range" %
          (sum(len(v) for v in neg.values()), len(sig)))
    for key in sorted(neg):
        xs = neg[key]
        print("    t=%-4g gamma=%-4g %3d cases, x in [%g, %g]" % (key[0], key[1], len(xs), min(xs), max(xs)))
    nneg = sum(1 for c in soft for h in c["hess"] if h < 0)
    nrow = sum(1 for c in soft if any(h < 0 for h in c["hess"]))
    print("  softmax: %d diagonal Hessian entries < 0, in %d of %d rows" % (nneg, nrow, len(soft)))
    neg_gamma = sorted({c["gamma"] for c in soft if any(h < 0 for h in c["hess"])})
    print("    gammas with negative entries: %s" % neg_gamma)

    def mags(vals):
        nz = [abs(v) for v in vals if v != 0]
        return mp.nstr(min(nz), 3), mp.nstr(max(nz), 3)

    sv = [v for c in sig for v in c["_mp"]]
    print("  sigmoid exact |value| range (nonzero): %s .. %s" % mags(sv))
    zero64 = sum(1 for c in sig for k, v in zip(("loss", "grad", "hess"), c["_mp"]) if v != 0 and c[k] == 0)
    sub64 = sum(1 for c in sig for k in ("loss", "grad", "hess") if c[k] != 0 and abs(c[k]) < SMALLEST_NORMAL)
    print("  sigmoid float64: %d values underflow to 0, %d are subnormal" % (zero64, sub64))
    fv = [v for c in soft for v in [c["_mp"][0]] + c["_mp"][1] + c["_mp"][2]]
    print("  softmax exact |value| range (nonzero): %s .. %s" % mags(fv))
    zero64 = sum(1 for c in soft for a, b in zip([c["loss"]] + c["grad"] + c["hess"],
                                                  [c["_mp"][0]] + c["_mp"][1] + c["_mp"][2]) if b != 0 and a == 0)
    print("  softmax float64: %d values underflow to 0" % zero64)
    scores = [c["_mp"] for p in sig_init for c in p["cases"] if mp.isfinite(c["_mp"])]
    print("  sigmoid init scores: %s .. %s" % (mp.nstr(min(scores), 6), mp.nstr(max(scores), 6)))
    for p in sig_init:
        print("    %-52s %s" % (p["name"], " ".join("%.4g" % c["score"] if isinstance(c["score"], float)
                                                  else c["score"] for c in p["cases"])))
    fin = [v for p in soft_init for c in p["cases"] for v in c["_mp"] if mp.isfinite(v)]
    print("  softmax init log p: %s .. %s" % (mp.nstr(min(fin), 6), mp.nstr(max(fin), 6)))


# ----------------------------------------------------------------------------------------------


def strip(obj):
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def main():
    t0 = time.time()
    sig = sigmoid_section()
    t1 = time.time()
    print("sigmoid: %d cases (%.1f s)" % (len(sig), t1 - t0))
    soft = softmax_section()
    t2 = time.time()
    print("softmax: %d rows (%.1f s)" % (len(soft), t2 - t1))
    sig_init, n_sig_init = sigmoid_init_section()
    t3 = time.time()
    print("sigmoid_init: %d problems, %d cases (%.1f s)" % (len(sig_init), n_sig_init, t3 - t2))
    soft_init, n_soft_init = softmax_init_section()
    t4 = time.time()
    print("softmax_init: %d problems, %d cases (%.1f s)" % (len(soft_init), n_soft_init, t4 - t3))
    print("derivatives: %d, two-precision max rel disagreement %s, %d true zeros"
          % (STATS["derivs"], mp.nstr(STATS["max_rel_disagreement"], 3), STATS["zeroed"]))
    sanity(sig, soft, sig_init, soft_init)
    summary(sig, soft, sig_init, soft_init)

    out = {
        "generator": "Tests/golden/make_grad_hess_golden.py",
        "mpmath_version": mpmath.__version__,
        "numpy_version": np.__version__,
        "dps": {"derivatives": BASE_DPS, "check": CHECK_DPS, "init": INIT_DPS,
                "extra_digits": "derivatives add |x| / ln 10 + 5 digits (softmax: max - min of the row)"},
        "notes": [
            "Every number is the float64 correctly rounded from a multi-precision value; d/dx by mpmath "
            "mp.diff of the loss written from its definition, checked at a second precision and step.",
            "sigmoid: alpha = -1 disables alpha_t. grad = d loss / dx, hess = d2 loss / dx2 (exact Hessian).",
            "softmax: alpha null = all class weights 1. grad[c] = d loss / d z_c, hess[c] = d2 loss / d z_c^2.",
            "<name>_dec: 25-digit decimal of the exact value, present where it is nonzero but below the "
            "smallest normal float64 (its float64 is subnormal or 0).",
            "f32_exact: every input is exactly a float32 (the reference then also holds for float32 inputs).",
            "sigmoid_init: per problem (targets, weights or null), cases over alpha and gamma; score = the "
            "x minimising sum_j w_j loss(x, t_j). '-inf'/'+inf' (strings) where no minimum is attained.",
            "softmax_init: per problem (classes, labels, weights or null), cases over alpha and gamma; "
            "scores = log p_c of the minimising shared logits (log-sum-exp 0); '-inf' (string) for a "
            "class with W_c = 0.",
            "Non-finite numbers appear only as the strings 'inf', '-inf', 'nan'.",
        ],
        "sigmoid": strip(sig),
        "softmax": strip(soft),
        "sigmoid_init": strip(sig_init),
        "softmax_init": strip(soft_init),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grad_hess.json")
    text = json.dumps(out, indent=None, separators=(",", ":"), allow_nan=False)
    # One case per line: small diffs, still compact.
    text = text.replace(',{"x":', ',\n{"x":').replace(',{"name":', ',\n{"name":').replace(',{"alpha":', ',\n{"alpha":')
    with open(path, "w") as f:
        f.write(text + "\n")
    print("\nwrote %s (%d bytes) in %.1f s" % (path, len(text) + 1, time.time() - t0))


if __name__ == "__main__":
    sys.exit(main())
