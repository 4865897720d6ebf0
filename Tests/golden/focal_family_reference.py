"""Multi-precision (mpmath) reference of the focal family of issue 14, with analytic derivatives.

Independent of every peer and of focalloss: each loss is written from issue 14's definition in
mpmath at ``DPS`` = 60 significant digits, and its derivative with respect to the logit is an
analytic formula derived below (in the comments of each function). ``self_test()`` checks every
analytic derivative against mpmath's numerical differentiation (``mp.diff``) and checks the limits
that reduce to known losses. Run it directly:

    python3 Tests/golden/focal_family_reference.py        (needs mpmath only; a few seconds)

Used by ``make_focal_family_golden.py`` to measure the peers' golden values against the definitions.

Every function takes Python floats (converted exactly to mpf) and returns mpf values:
``(loss, dloss/dx)`` for the elementwise losses, ``(loss, [dloss/dz_j])`` for the softmax one.

Notation (shared by every derivation):
    s(x)  = sigma(x) = 1 / (1 + e^-x)          s(-x) = 1 - s(x)       (never form 1 - s by subtraction)
    ls(x) = log s(x) = -softplus(-x) = min(x, 0) - log1p(e^-|x|)
    sp(x) = softplus(x) = log1p(e^x) = max(x, 0) + log1p(e^-|x|) = -ls(-x)
    s'(x) = s(x) s(-x)
    BCE(x, t) = t sp(-x) + (1 - t) sp(x) = sp(x) - t x,   dBCE/dx = s(x) - t = s(x)(1 - t) - s(-x) t
    For a hard target t in {0, 1}: x_t = (2t - 1) x, p_t = s(x_t), 1 - p_t = s(-x_t), log p_t = ls(x_t).
    u^g for u in (0, 1] is exp(g log u); a power of a sigmoid is exp(g ls(.)), so it underflows to
    0 gracefully instead of becoming 0 * inf.
"""
import sys

from mpmath import mp, mpf

DPS = 60


def _prec():
    """At least DPS digits; more when the caller (mp.diff in the self test) already works wider."""
    return mp.workdps(max(DPS, mp.dps))


def _m(v):
    return v if isinstance(v, type(mpf(0))) else mpf(v)


def s(x):
    return 1 / (1 + mp.exp(-x))


def ls(x):
    return -mp.log1p(mp.exp(-x))


def sp(x):
    return mp.log1p(mp.exp(x))


def smt(x, t):
    """s(x) - t as s(x)(1 - t) - s(-x) t: for a hard target s(-x) or s(x) exactly, so that a
    gradient of ~e^-|x| is not the difference of two numbers near 1 (whose 60 digits would leave
    too few of it at |x| beyond ~60)."""
    return s(x) * (1 - t) - s(-x) * t


def bce(x, t):
    out = mpf(0)
    if t != 0:
        out += t * sp(-x)
    if t != 1:
        out += (1 - t) * sp(x)
    return out


def pw(u, g):
    """u^g with 0^0 = 1 (torch.pow and the definitions agree)."""
    if g == 0:
        return mpf(1)
    if u == 0:
        return mpf(0)
    return mp.exp(g * mp.log(u))


# ----------------------------------------------------------------------------------------------
# 1. FL* (Lin et al. 2017, appendix A; fvcore.nn.sigmoid_focal_loss_star)
#
#    x_t = (2t - 1) x  (for soft t this is fvcore's linear form), z = gamma x_t + beta
#    loss = alpha_t * (-log s(z)) / gamma = alpha_t * sp(-z) / gamma
#    d/dz sp(-z) = -s(-z), dz/dx = gamma (2t - 1)
#    dloss/dx = -alpha_t (2t - 1) s(-z)
#    Stable: sp(-z) = max(-z, 0) + log1p(e^-|z|); s(-z) directly. No cancellation anywhere; at
#    z -> +inf both underflow to 0 gracefully, at z -> -inf loss ~ -z / gamma and the gradient
#    -> -alpha_t (2t - 1). alpha_t = alpha t + (1 - alpha)(1 - t), or 1 when alpha is None.


def fl_star(x, t, gamma, beta=0.0, alpha=None):
    with _prec():
        x, t, gamma, beta = _m(x), _m(t), _m(gamma), _m(beta)
        at = mpf(1) if alpha is None else _m(alpha) * t + (1 - _m(alpha)) * (1 - t)
        z = gamma * (2 * t - 1) * x + beta
        return at * sp(-z) / gamma, -at * (2 * t - 1) * s(-z)


# ----------------------------------------------------------------------------------------------
# 2a. Poly-1 sigmoid focal loss (Leng et al. 2022, eq. for Poly-1 focal; the paper's code adds the
#     polynomial term unweighted by alpha):
#    u = 1 - p_t = s(x)(1 - t) + s(-x) t        (a sum of non-negative terms: no cancellation)
#    loss = alpha_t BCE(x, t) u^gamma + eps u^(gamma + 1)
#    du/dx = s'(x)(1 - 2t) = s(x) s(-x) (1 - 2t)
#    dloss/dx = alpha_t [ (s(x) - t) u^gamma + gamma u^(gamma-1) du/dx BCE ] + eps (gamma+1) u^gamma du/dx
#    Hard t (x_t = (2t-1)x, u = s(-x_t), du/dx_t = -s(x_t) s(-x_t)):
#      dloss/dx_t = -alpha_t u^gamma [ s(-x_t) - gamma s(x_t) ls(x_t) ] - eps (gamma+1) u^gamma s(x_t) s(-x_t)
#      dloss/dx = (2t - 1) dloss/dx_t; u^gamma = exp(gamma ls(-x_t)). The u^(gamma-1) of the general form
#      always meets a factor s(-x_t) = u, so no negative power is ever evaluated (0 < gamma < 1 safe).


def poly1_sigmoid(x, t, gamma, eps, alpha=None):
    with _prec():
        x, t, gamma, eps = _m(x), _m(t), _m(gamma), _m(eps)
        at = mpf(1) if alpha is None else _m(alpha) * t + (1 - _m(alpha)) * (1 - t)
        u = s(x) * (1 - t) + s(-x) * t
        b = bce(x, t)
        du = s(x) * s(-x) * (1 - 2 * t)
        loss = at * b * pw(u, gamma) + eps * pw(u, gamma + 1)
        dfl = smt(x, t) * pw(u, gamma)
        if gamma != 0:
            dfl += gamma * pw(u, gamma - 1) * du * b
        grad = at * dfl + eps * (gamma + 1) * pw(u, gamma) * du
        return loss, grad


# 2b. Poly-1 softmax focal loss, one row z (C logits), integer label y, no class weights:
#    log p_y = z_y - logsumexp(z) = -log1p(sum_{c != y} e^(z_c - z_y));  1 - p_y = sum_{c != y} p_c
#    loss = -(1 - p_y)^gamma log p_y + eps (1 - p_y)^(gamma + 1)
#    dp_y/dz_j = p_y ([j = y] - p_j)
#    d/dp_y [-(1-p)^g log p] = g (1-p)^(g-1) log p - (1-p)^g / p
#    dloss/dz_j = ([j = y] - p_j) * { gamma p_y (1-p_y)^(gamma-1) log p_y - (1-p_y)^gamma
#                                     - eps (gamma + 1) p_y (1-p_y)^gamma }
#    Stable: [j = y] - p_j is (1 - p_y) = sum_{c != y} p_c for j = y and -p_j otherwise, so the factor
#    (1 - p_y)^(gamma-1) always meets a (1 - p_y) or a p_j <= 1 - p_y: write the j = y entry as
#    gamma p_y (1-p_y)^gamma log p_y - (1-p_y)^(gamma+1) - ..., and for j != y use
#    p_j (1-p_y)^(gamma-1) = (p_j / (1 - p_y)) (1-p_y)^gamma, with p_j / (1 - p_y) = e^(z_j) / sum_{c != y} e^(z_c)
#    (a softmax over the other classes): no negative power, no 1 - p by subtraction.


def poly1_softmax(z, y, gamma, eps):
    with _prec():
        z = [_m(v) for v in z]
        gamma, eps = _m(gamma), _m(eps)
        zmax = max(z)
        e = [mp.exp(v - zmax) for v in z]
        tot = mp.fsum(e)
        p = [v / tot for v in e]
        others = mp.fsum(e[c] for c in range(len(z)) if c != y) / tot   # 1 - p_y
        logpy = -mp.log1p(mp.fsum(mp.exp(z[c] - z[y]) for c in range(len(z)) if c != y))
        loss = -pw(others, gamma) * logpy + eps * pw(others, gamma + 1)
        k = -pw(others, gamma) - eps * (gamma + 1) * p[y] * pw(others, gamma)
        if gamma != 0:
            k += gamma * p[y] * pw(others, gamma - 1) * logpy
        grad = [((others if j == y else -p[j]) * k) for j in range(len(z))]
        return loss, grad


# ----------------------------------------------------------------------------------------------
# 3. Asymmetric loss (Ridnik et al. 2021; timm.loss.AsymmetricLossMultiLabel without its eps clamp)
#    margin m >= 0 (timm's clip), p_m = max(s(x) - m, 0), 1 - p_m = min(s(-x) + m, 1).
#    Hard targets:
#      t = 1: loss = -s(-x)^gp ls(x)                      (focal loss without alpha)
#             dloss/dx = -s(-x)^gp [ s(-x) - gp s(x) ls(x) ]
#      t = 0, s(x) <= m: loss = 0, dloss/dx = 0           (the shifted probability is 0)
#      t = 0, s(x) > m: loss = -p_m^gn log(s(-x) + m)
#             dloss/dx = s(x) s(-x) p_m^(gn-1) [ p_m / (s(-x) + m) - gn log(s(-x) + m) ]
#             m = 0: p_m = s(x), log(1 - p_m) = ls(-x), and this is s(x)^gn [ s(x) - gn s(-x) ls(-x) ].
#      Stable: 1 - p_m = s(-x) + m is a sum of positives; its log is log1p(-p_m) while p_m < 1/2
#      (log(s(-x) + m) there would lose the digits of a small p_m) and log(s(-x) + m) above. p_m = s(x) - m does cancel near the
#      threshold s(x) = m; s(x) - m = s(x) - s(x_m) = sinh((x - x_m)/2) / (2 cosh(x/2) cosh(x_m/2)),
#      x_m = log(m) - log1p(-m), avoids losing the digits of s(x) (what remains is the rounding
#      of x_m, and the loss there is ~p_m^gn, tiny). The factor p_m^(gn-1) meets s(x) s(-x) and
#      p_m; for 0 < gn < 1 keep it as p_m^gn * s(x) s(-x) / p_m (finite, -> 0 only if gn > 0 ...
#      at p_m -> 0+ with gn < 1 the derivative has the term -gn p_m^(gn-1) s s' log(1-p_m) ~ gn p_m^gn
#      s', which goes to 0: no blow-up). At gn = 0 and m > 0 the derivative jumps at the threshold
#      (from 0 to s(x) s(-x) / (s(-x) + m)): the loss is not differentiable there.
#    Soft targets follow timm's formula (a mixture; not in the paper):
#      u = 1 - p_t = y s(-x) + (1 - y) p_m,  A = y ls(x) + (1 - y) log(1 - p_m),
#      g_y = gp y + gn (1 - y),  loss = -u^g_y A,
#      du/dx = -y s s' + (1 - y) [s > m] s s' (s s' := s(x) s(-x)),
#      dA/dx = y s(-x) - (1 - y) [s > m] s(x) s(-x) / (s(-x) + m),
#      dloss/dx = -[ g_y u^(g_y - 1) du/dx A + u^g_y dA/dx ].


def asl(x, t, gamma_pos, gamma_neg, margin):
    with _prec():
        x, t, gp, gn, m = _m(x), _m(t), _m(gamma_pos), _m(gamma_neg), _m(margin)
        sx, snx = s(x), s(-x)
        above = sx > m
        pm = sx - m if above else mpf(0)
        one_minus_pm = snx + m if above else mpf(1)
        u = t * snx + (1 - t) * pm
        A = mpf(0)
        if t != 0:
            A += t * ls(x)
        if t != 1:
            # log(1 - p_m): log1p(-p_m), never the log of a rounded 1 - p_m (that loses the digits
            # of a small p_m even at DPS digits)
            # when p_m < 1/2, and log(s(-x) + m) (a sum of positives) above
            if above:
                A += (1 - t) * (mp.log1p(-pm) if pm < mpf(0.5) else mp.log(one_minus_pm))
        g = gp * t + gn * (1 - t)
        ssp = sx * snx
        du = -t * ssp + ((1 - t) * ssp if above else 0)
        dA = t * snx - ((1 - t) * ssp / one_minus_pm if above else 0)
        loss = -pw(u, g) * A
        grad = -pw(u, g) * dA
        if g != 0 and du != 0:
            grad -= g * pw(u, g - 1) * du * A
        return loss, grad


# ----------------------------------------------------------------------------------------------
# 4. Quality focal loss (Li et al. 2020, GFL; mmdet quality_focal_loss), soft target y in [0, 1]:
#    d = s(x) - y,  loss = |d|^beta BCE(x, y)
#    dloss/dx = |d|^beta d + beta |d|^(beta-1) sgn(d) s(x) s(-x) BCE(x, y)
#             = sgn(d) |d|^(beta-1) [ d^2 + beta s(x) s(-x) BCE ]  (d != 0)
#    At d = 0: beta = 0 -> 0; beta > 1 -> 0; 0 < beta <= 1 -> no derivative (the cusp of |d|^beta;
#    the reference returns nan there).
#    Stable: y = 0: d = s(x); y = 1: d = -s(-x); otherwise d = s(x) - s(x_y) with x_y = logit(y)
#    = log(y) - log1p(-y), written sinh((x - x_y)/2) / (2 cosh(x/2) cosh(x_y/2)) so that digits of
#    s(x) near y are not lost to the subtraction; |d|^beta = exp(beta log|d|).


def qfl(x, y, beta):
    with _prec():
        x, y, beta = _m(x), _m(y), _m(beta)
        d = smt(x, y)
        b = bce(x, y)
        loss = pw(abs(d), beta) * b
        if d == 0:
            grad = mpf(0) if (beta == 0 or beta > 1) else mp.nan
        else:
            grad = mp.sign(d) * pw(abs(d), beta - 1) * (d * d + beta * s(x) * s(-x) * b)
        return loss, grad


# ----------------------------------------------------------------------------------------------
# 5. Varifocal loss (Zhang et al. 2021, VarifocalNet; mmdet varifocal_loss), target q in [0, 1]:
#    q > 0: loss = w BCE(x, q), w = q (iou_weighted, the paper) or 1;  dloss/dx = w (s(x) - q)
#    q = 0: loss = alpha s(x)^gamma sp(x)
#           dloss/dx = alpha s(x)^gamma [ s(x) + gamma s(-x) sp(x) ]
#           (d s^gamma / dx = gamma s^gamma s(-x); d sp / dx = s(x)); s(x)^gamma = exp(gamma ls(x)).
#    Stable: every factor is a sigmoid, a power of one or a softplus; s(x) - q is the only
#    difference and is the true gradient of the BCE (write it s(x)(1-q) - s(-x) q).


def vfl(x, q, alpha=0.75, gamma=2.0, iou_weighted=True):
    with _prec():
        x, q, alpha, gamma = _m(x), _m(q), _m(alpha), _m(gamma)
        if q > 0:
            w = q if iou_weighted else mpf(1)
            return w * bce(x, q), w * smt(x, q)
        f = pw(s(x), gamma)
        return alpha * f * sp(x), alpha * f * (s(x) + gamma * s(-x) * sp(x))


# ----------------------------------------------------------------------------------------------
# helpers for the generator


def to_float(v):
    """Round an mpf to the nearest float64 (nan stays nan)."""
    return float(v)


def elementwise(fn, xs, ts, **params):
    """Apply an elementwise reference to flat lists; returns (losses, grads) as float lists."""
    L, G = [], []
    for x, t in zip(xs, ts):
        l, g = fn(x, t, **params)
        L.append(to_float(l))
        G.append(to_float(g))
    return L, G


# ----------------------------------------------------------------------------------------------
# self test


def _num(fn, x):
    with mp.workdps(DPS + 20):
        return mp.diff(lambda v: fn(v), mpf(x))


def _rel(a, b):
    if a == b:
        return mpf(0)
    return abs(a - b) / max(abs(a), abs(b))


def self_test(verbose=True):
    worst = mpf(0)
    n = 0
    xs = [-30.0, -17.0, -4.0, -1.5, -0.25, 0.0, 0.3, 1.0, 2.5, 7.0, 18.0, 30.0]

    def check(name, fn_loss, fn_grad, x):
        nonlocal worst, n
        a = fn_grad(x)
        b = _num(fn_loss, x)
        r = _rel(a, b) if max(abs(a), abs(b)) > mpf(10) ** -(DPS - 10) else mpf(0)
        n += 1
        if r > worst:
            worst = r
        if r > mpf("1e-30"):
            raise AssertionError("%s at x=%r: analytic %s, mp.diff %s" % (name, x, a, b))

    for x in xs:
        for t in [0.0, 1.0, 0.3, 0.9]:
            for gamma, beta, alpha in [(1.0, 0.0, None), (2.0, 1.0, 0.25), (0.5, -2.0, None)]:
                check("fl_star", lambda v: fl_star(v, t, gamma, beta, alpha)[0],
                      lambda v: fl_star(v, t, gamma, beta, alpha)[1], x)
            for gamma, eps, alpha in [(2.0, 1.0, 0.25), (0.5, -0.5, None), (0.0, 2.0, None), (3.5, 0.3, 0.5)]:
                check("poly1_sigmoid", lambda v: poly1_sigmoid(v, t, gamma, eps, alpha)[0],
                      lambda v: poly1_sigmoid(v, t, gamma, eps, alpha)[1], x)
            for gp, gn, m in [(1.0, 4.0, 0.05), (0.0, 0.0, 0.0), (2.0, 2.0, 0.0), (0.5, 0.7, 0.2)]:
                if t == 0.0 and m > 0:
                    # avoid the threshold s(x) = m, where the loss has no (or a one-sided) derivative
                    with mp.workdps(DPS):
                        if abs(s(mpf(x)) - m) < mpf("1e-3"):
                            continue
                check("asl", lambda v: asl(v, t, gp, gn, m)[0], lambda v: asl(v, t, gp, gn, m)[1], x)
            for beta in [0.0, 0.5, 1.0, 2.0, 3.0]:
                with mp.workdps(DPS):
                    if abs(s(mpf(x)) - t) < mpf("1e-6"):
                        continue
                check("qfl", lambda v: qfl(v, t, beta)[0], lambda v: qfl(v, t, beta)[1], x)
            for alpha, gamma, iw in [(0.75, 2.0, True), (0.5, 0.5, False), (1.0, 3.0, True)]:
                check("vfl", lambda v: vfl(v, t, alpha, gamma, iw)[0], lambda v: vfl(v, t, alpha, gamma, iw)[1], x)

    rows = [([0.3, -1.2, 2.5, 0.0], 2), ([-20.0, 10.0, 30.0], 0), ([5.0, 5.0, -5.0, 1.0, 0.5], 4)]
    for z, y in rows:
        for gamma, eps in [(0.0, 1.0), (2.0, 1.0), (0.5, -0.4), (3.0, 0.0)]:
            g = poly1_softmax(z, y, gamma, eps)[1]
            for j in range(len(z)):
                def f(v, j=j):
                    zz = list(z)
                    zz[j] = v
                    return poly1_softmax(zz, y, gamma, eps)[0]
                a = g[j]
                b = _num(f, z[j])
                r = _rel(a, b) if max(abs(a), abs(b)) > mpf(10) ** -(DPS - 10) else mpf(0)
                n += 1
                worst = max(worst, r)
                if r > mpf("1e-30"):
                    raise AssertionError("poly1_softmax %r %r j=%d: %s vs %s" % (z, y, j, a, b))

    with mp.workdps(DPS):
        # limits that reduce to known losses (exact at DPS)
        tol = mpf(10) ** -(DPS - 5)
        for x in xs:
            for t in [0.0, 1.0]:
                with mp.workdps(DPS):
                    xt = (2 * t - 1) * mpf(x)
                    focal_noalpha = -pw(s(-xt), 2) * ls(xt)
                # ASL with gp = gn and m = 0 is the focal loss without alpha
                assert _rel(asl(x, t, 2.0, 2.0, 0.0)[0], focal_noalpha) < tol
                # Poly-1 at eps = 0 is the focal loss
                assert _rel(poly1_sigmoid(x, t, 2.0, 0.0)[0], focal_noalpha) < tol
                # FL* at gamma = 1, beta = 0 is BCE
                assert _rel(fl_star(x, t, 1.0, 0.0)[0], bce(mpf(x), mpf(t))) < tol
            for t in [0.0, 0.3, 1.0]:
                # QFL at beta = 0 is BCE; VFL with q > 0 is q-weighted BCE
                assert _rel(qfl(x, t, 0.0)[0], bce(mpf(x), mpf(t))) < tol
                if t > 0:
                    assert _rel(vfl(x, t)[0], t * bce(mpf(x), mpf(t))) < tol
    if verbose:
        print("focal_family_reference self-test: %d analytic derivatives agree with mp.diff, worst relative "
              "difference %s; limits (ASL->focal, Poly-1 eps=0, FL* gamma=1, QFL beta=0, VFL q>0) exact"
              % (n, mp.nstr(worst, 3)))
    return n, worst


if __name__ == "__main__":
    self_test()
    sys.exit(0)
