"""Generate golden reference values for focalloss from the real peer libraries.

Writes ``Tests/golden/peers.json`` (next to this script) with losses and
autograd gradients produced by:

* ``torchvision.ops.sigmoid_focal_loss``          (sigmoid focal loss)
* ``torch.nn.functional.cross_entropy``           (softmax focal loss at gamma = 0)
* ``kornia.losses.focal_loss``                    (softmax focal loss, scalar alpha)

Every value in the file is a real output of one of those peers (plus a few
clearly labelled bookkeeping fields, see ``notes`` in the JSON). The script is
deterministic: inputs come from fixed-seed ``numpy.random.default_rng``
generators, torch runs single-threaded on the CPU.

How to run (from the repository root, with a virtualenv that has numpy, torch,
torchvision and kornia installed -- it must live OUTSIDE the repository):

    python3 -m venv /work/peers-venv
    /work/peers-venv/bin/pip install numpy torch torchvision kornia
    /work/peers-venv/bin/python Tests/golden/make_golden.py

Optional argument: an output path (default: Tests/golden/peers.json next to
this file). After writing, the script cross-checks every peer value against an
independent float64 implementation of the focalloss math contract and prints
the largest deviations (nothing from that check is written to the file except
a summary line in ``notes``).
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
import kornia
from torchvision.ops import sigmoid_focal_loss
from kornia.losses import focal_loss as kornia_focal_loss

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

GENERATOR = "Tests/golden/make_golden.py"
DTYPES = {"float32": torch.float32, "float64": torch.float64}

# --------------------------------------------------------------------------
# encoding helpers
# --------------------------------------------------------------------------


def enc(v):
    """Python float -> JSON value; non-finite values become strings."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc_tensor(t):
    """Flat row-major list of exact doubles (float32 -> float64 is exact)."""
    return [enc(v) for v in t.detach().to(torch.float64).reshape(-1).tolist()]


def enc_loss(loss, reduction):
    if reduction == "none":
        return enc_tensor(loss)
    return enc(loss.detach().to(torch.float64).item())


def all_finite(values):
    if isinstance(values, list):
        return all(not isinstance(v, str) for v in values)
    return not isinstance(values, str)


def rng_for(*key):
    """Deterministic generator derived from a readable key."""
    seed = 0
    for ch in "/".join(str(k) for k in key):
        seed = (seed * 131 + ord(ch)) % (2**63)
    return np.random.default_rng(seed)


CASES = []
NAMES = set()


def add_case(case):
    assert case["name"] not in NAMES, case["name"]
    NAMES.add(case["name"])
    CASES.append(case)


def fmt(v):
    if v is None:
        return "none"
    return ("%g" % v).replace(".", "p").replace("-", "m")


# --------------------------------------------------------------------------
# torchvision.ops.sigmoid_focal_loss
# --------------------------------------------------------------------------

SIG_GAMMAS = [0.0, 0.5, 1.0, 2.0, 3.7]
SIG_ALPHAS = [0.25, None, 0.5, 0.0, 1.0]  # None = disabled (torchvision alpha=-1)
REDUCTIONS = ["none", "sum", "mean"]
SIG_SHAPES = [(7,), (3, 5), (2, 3, 4)]
SOFT_VALUES = [0.1, 0.37, 0.9]


def make_targets(rng, n, kind):
    if kind == "hard":
        t = rng.integers(0, 2, size=n).astype(np.float64)
        if n >= 2:  # make sure both classes appear
            t[0], t[1] = 0.0, 1.0
        return t
    if kind == "soft":
        # the three named soft values, then uniform (0, 1)
        t = rng.uniform(0.0, 1.0, size=n)
        k = min(n, len(SOFT_VALUES))
        t[:k] = SOFT_VALUES[:k]
        rng.shuffle(t)
        return t
    if kind == "mixed":
        choices = np.array([0.0, 1.0] + SOFT_VALUES)
        return choices[rng.integers(0, len(choices), size=n)]
    raise ValueError(kind)


def run_sigmoid(name, dtype_name, shape, x_np, t_np, alpha, gamma, reduction, extra=None):
    dtype = DTYPES[dtype_name]
    x = torch.tensor(np.asarray(x_np, dtype=np.float64).reshape(shape), dtype=dtype, requires_grad=True)
    t = torch.tensor(np.asarray(t_np, dtype=np.float64).reshape(shape), dtype=dtype)
    loss = sigmoid_focal_loss(x, t, alpha=-1.0 if alpha is None else alpha, gamma=gamma, reduction=reduction)
    loss.sum().backward()
    grad = x.grad if x.grad is not None else torch.zeros_like(x)
    case = {
        "name": name,
        "peer": "torchvision.ops.sigmoid_focal_loss",
        "family": "sigmoid",
        "dtype": dtype_name,
        "shape": list(shape),
        "logits": enc_tensor(x),
        "targets": enc_tensor(t),
        "alpha": alpha,
        "gamma": gamma,
        "reduction": reduction,
        "loss": enc_loss(loss, reduction),
        "grad": enc_tensor(grad),
    }
    if extra:
        case.update(extra)
    if not all_finite(case["grad"]):
        case["peer_nonfinite_grad"] = True
    add_case(case)


def sigmoid_cases():
    kinds = ["hard", "soft", "mixed"]
    for dtype_name in DTYPES:
        k = 0
        for gi, gamma in enumerate(SIG_GAMMAS):
            for ai, alpha in enumerate(SIG_ALPHAS):
                for ri, reduction in enumerate(REDUCTIONS):
                    shape = SIG_SHAPES[k % len(SIG_SHAPES)]
                    kind = kinds[(gi + ai + ri) % len(kinds)]
                    k += 1
                    n = int(np.prod(shape))
                    rng = rng_for("sig", dtype_name, gamma, alpha, reduction)
                    x = rng.uniform(-8.0, 8.0, size=n)
                    x[rng.integers(0, n)] = 0.0  # an exact zero logit in every case
                    t = make_targets(rng, n, kind)
                    name = "sig_%s_g%s_a%s_%s_%s_%s" % (
                        dtype_name, fmt(gamma), fmt(alpha), reduction, kind,
                        "x".join(str(s) for s in shape))
                    run_sigmoid(name, dtype_name, shape, x, t, alpha, gamma, reduction,
                                {"target_kind": kind})

    # moderate extremes, float64 only: |x| in {15, 30}
    xs = np.array([15.0, -15.0, 30.0, -30.0, 15.0, -15.0, 30.0, -30.0, 30.0, -30.0, 15.0, -15.0])
    ts = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.37, 0.9, 0.1, 0.5])
    for gamma in SIG_GAMMAS:
        for alpha in [0.25, None]:
            for reduction in REDUCTIONS:
                name = "sig_extreme_float64_g%s_a%s_%s" % (fmt(gamma), fmt(alpha), reduction)
                run_sigmoid(name, "float64", (3, 4), xs, ts, alpha, gamma, reduction,
                            {"target_kind": "mixed", "extreme": True})

    # saturation: sigmoid(x) rounds to exactly 1 (or 1 - p rounds to 1), so
    # torchvision's p_t == 1 for agreeing hard targets. At 0 < gamma < 1 torch
    # autograd then gives a non-finite gradient (0 * inf). Kept on purpose.
    sat = {
        "float64": (np.array([40.0, -40.0, 50.0, -50.0, 40.0, -40.0]),
                    np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0])),
        "float32": (np.array([20.0, -20.0, 30.0, -30.0, 20.0, -20.0]),
                    np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0])),
    }
    for dtype_name, (xs, ts) in sat.items():
        for gamma in [0.0, 0.5, 1.0, 2.0]:
            for reduction in ["none", "sum"]:
                name = "sig_saturated_%s_g%s_%s" % (dtype_name, fmt(gamma), reduction)
                run_sigmoid(name, dtype_name, (6,), xs, ts, 0.25, gamma, reduction,
                            {"target_kind": "hard", "saturated": True,
                             "saturation_note": "sigmoid(x) or 1-sigmoid(x) rounds to exactly 1 in this dtype; "
                                                "torchvision forms 1-p_t by subtraction, so agreeing targets get "
                                                "1-p_t == 0 exactly (true value ~e^-|x|). Losses there are tiny; "
                                                "compare with an absolute tolerance. Gradients at 0<gamma<1 are "
                                                "non-finite in the peer."})

    # empty tensors
    for dtype_name in DTYPES:
        for shape in [(0,), (0, 4)]:
            for reduction in REDUCTIONS:
                name = "sig_empty_%s_%s_%s" % (dtype_name, "x".join(str(s) for s in shape), reduction)
                run_sigmoid(name, dtype_name, shape, [], [], 0.25, 2.0, reduction,
                            {"target_kind": "hard", "empty": True})


# --------------------------------------------------------------------------
# torch.nn.functional.cross_entropy  (softmax focal loss at gamma = 0)
# --------------------------------------------------------------------------

CE_SHAPES = [(6, 5), (2, 4, 3, 3), (5, 1), (4, 3, 5), (3, 3)]
CE_WEIGHTS = ["none", "random", "zero"]
CE_IGNORES = ["no_ignored", "ignored_m100", "ignore_index_0"]
CE_EPS = [0.0, 0.1, 0.3, 1.0]


def target_shape_of(shape):
    return (shape[0],) + tuple(shape[2:])


def run_ce(name, dtype_name, shape, x_np, y_np, weight_np, ignore_index, eps, reduction, extra=None):
    dtype = DTYPES[dtype_name]
    tshape = target_shape_of(shape)
    x = torch.tensor(np.asarray(x_np, dtype=np.float64).reshape(shape), dtype=dtype, requires_grad=True)
    y = torch.tensor(np.asarray(y_np, dtype=np.int64).reshape(tshape), dtype=torch.int64)
    w = None if weight_np is None else torch.tensor(np.asarray(weight_np, dtype=np.float64), dtype=dtype)
    loss = F.cross_entropy(x, y, weight=w, ignore_index=ignore_index, label_smoothing=eps, reduction=reduction)
    loss.sum().backward()
    grad = x.grad if x.grad is not None else torch.zeros_like(x)
    case = {
        "name": name,
        "peer": "torch.nn.functional.cross_entropy",
        "family": "softmax",
        "dtype": dtype_name,
        "shape": list(shape),
        "logits": enc_tensor(x),
        "target_shape": list(tshape),
        "targets": [int(v) for v in y.reshape(-1).tolist()],
        "alpha": None if w is None else enc_tensor(w),
        "gamma": 0.0,
        "ignore_index": ignore_index,
        "label_smoothing": eps,
        "reduction": reduction,
        "loss": enc_loss(loss, reduction),
        "grad": enc_tensor(grad),
    }
    if extra:
        case.update(extra)

    # Label-smoothing "mean" quirk probe (see notes): compare torch's mean with
    # sum(per-position "none" losses) / (number of non-ignored targets).
    n_ignored = int((y == ignore_index).sum().item())
    if reduction == "mean" and eps > 0 and w is None and n_ignored > 0:
        with torch.no_grad():
            per = F.cross_entropy(x, y, weight=None, ignore_index=ignore_index, label_smoothing=eps,
                                  reduction="none").to(torch.float64)
            n_valid = y.numel() - n_ignored
            contract = (per.sum() / n_valid).item() if n_valid > 0 else float("nan")
            divided_by_all = (per.sum() / y.numel()).item()
        got = loss.detach().to(torch.float64).item()
        tol = 1e-5 if dtype_name == "float32" else 1e-12
        agrees = (math.isnan(got) and math.isnan(contract)) or abs(got - contract) <= tol * max(1.0, abs(contract))
        case["torch_quirk"] = not agrees
        case["expected_contract_loss"] = enc(contract)
        if agrees:
            case["quirk_note"] = ("checked: with label_smoothing>0, weight=None and ignored targets this torch "
                                  "divides the smoothing term by the number of NON-ignored targets, i.e. it equals "
                                  "the contract (sum of per-position losses / non-ignored count); the historical "
                                  "bug pytorch#73205 (division by all positions) is not present")
        else:
            case["quirk_note"] = ("torch's mean differs from the contract (sum of per-position losses / non-ignored "
                                  "count); sum/all-positions would be %r" % divided_by_all)
    add_case(case)


def make_class_targets(rng, n_pos, C, ignore_kind):
    y = rng.integers(0, C, size=n_pos)
    if n_pos >= C:
        y[:C] = np.arange(C)  # every class appears
        rng.shuffle(y)
    if ignore_kind == "ignored_m100":
        k = max(1, n_pos // 4)
        y[rng.choice(n_pos, size=k, replace=False)] = -100
        return y, -100
    if ignore_kind == "ignore_index_0":
        return y, 0  # class 0 is a valid class; its targets are ignored
    return y, -100


def make_weights(rng, C, kind):
    if kind == "none":
        return None
    w = rng.uniform(0.5, 3.0, size=C)
    if kind == "zero":
        w[min(1, C - 1)] = 0.0
    return w


def ce_cases():
    for dtype_name in DTYPES:
        k = 0
        for wkind in CE_WEIGHTS:
            for ikind in CE_IGNORES:
                for eps in CE_EPS:
                    for reduction in REDUCTIONS:
                        shape = CE_SHAPES[k % len(CE_SHAPES)]
                        k += 1
                        if shape[1] == 1 and (wkind == "zero" or ikind == "ignore_index_0"):
                            # C = 1 would make every target zero-weighted / ignored; covered separately
                            shape = CE_SHAPES[k % len(CE_SHAPES)]
                            k += 1
                        C = shape[1]
                        n_pos = shape[0] * int(np.prod(shape[2:]))
                        rng = rng_for("ce", dtype_name, wkind, ikind, eps, reduction)
                        x = rng.normal(0.0, 2.5, size=int(np.prod(shape)))
                        y, ignore_index = make_class_targets(rng, n_pos, C, ikind)
                        w = make_weights(rng, C, wkind)
                        name = "ce_%s_w%s_%s_eps%s_%s_%s" % (
                            dtype_name, wkind, ikind, fmt(eps), reduction, "x".join(str(s) for s in shape))
                        run_ce(name, dtype_name, shape, x, y, w, ignore_index, eps, reduction)

        # C = 1: every target is class 0, loss is exactly 0
        for eps in [0.0, 0.1]:
            for reduction in REDUCTIONS:
                rng = rng_for("ce_c1", dtype_name, eps, reduction)
                x = rng.normal(0.0, 3.0, size=4)
                run_ce("ce_%s_C1_eps%s_%s" % (dtype_name, fmt(eps), reduction), dtype_name, (4, 1), x,
                       np.zeros(4, dtype=np.int64), None, -100, eps, reduction)

        # dedicated probes of the label-smoothing "mean" quirk: half the targets ignored,
        # so dividing the smoothing term by all positions instead of the non-ignored ones
        # would change the mean visibly (see run_ce / notes)
        for shape in [(8, 5), (2, 4, 3, 3)]:
            for eps in [0.1, 0.3, 1.0]:
                for ignore_index in [-100, 2]:
                    rng = rng_for("ce_lsprobe", dtype_name, shape, eps, ignore_index)
                    n_pos = shape[0] * int(np.prod(shape[2:]))
                    x = rng.normal(0.0, 2.5, size=int(np.prod(shape)))
                    y = rng.integers(0, shape[1], size=n_pos)
                    y[rng.choice(n_pos, size=n_pos // 2, replace=False)] = ignore_index
                    for reduction in ["mean", "none"]:
                        run_ce("ce_%s_ls_probe_%s_ign%s_eps%s_%s" % (
                            dtype_name, "x".join(str(s) for s in shape), fmt(ignore_index), fmt(eps), reduction),
                            dtype_name, shape, x, y, None, ignore_index, eps, reduction, {"ls_mean_probe": True})

        # every target ignored: mean is 0/0 = nan
        for wkind in ["none", "random"]:
            for eps in [0.0, 0.1]:
                for reduction in REDUCTIONS:
                    rng = rng_for("ce_allign", dtype_name, wkind, eps, reduction)
                    shape = (4, 3)
                    x = rng.normal(0.0, 2.0, size=12)
                    y = np.full(4, -100, dtype=np.int64)
                    w = make_weights(rng, 3, wkind)
                    run_ce("ce_%s_all_ignored_w%s_eps%s_%s" % (dtype_name, wkind, fmt(eps), reduction),
                           dtype_name, shape, x, y, w, -100, eps, reduction, {"all_ignored": True})

        # every non-ignored target has weight 0: mean is 0/0 = nan
        for eps in [0.0, 0.1]:
            for reduction in REDUCTIONS:
                rng = rng_for("ce_allzero", dtype_name, eps, reduction)
                x = rng.normal(0.0, 2.0, size=15)
                y = np.array([1, 1, -100, 1, 1], dtype=np.int64)
                w = np.array([1.5, 0.0, 2.0])
                run_ce("ce_%s_all_zero_weight_eps%s_%s" % (dtype_name, fmt(eps), reduction),
                       dtype_name, (5, 3), x, y, w, -100, eps, reduction, {"all_zero_weight": True})

        # empty batch N = 0
        for shape in [(0, 5), (0, 4, 3, 3)]:
            for eps in [0.0, 0.1]:
                for reduction in REDUCTIONS:
                    run_ce("ce_%s_empty_%s_eps%s_%s" % (dtype_name, "x".join(str(s) for s in shape), fmt(eps),
                                                         reduction),
                           dtype_name, shape, [], np.zeros(0, dtype=np.int64), None, -100, eps, reduction,
                           {"empty": True})


# --------------------------------------------------------------------------
# kornia.losses.focal_loss
# --------------------------------------------------------------------------

KO_SHAPES = [(6, 5), (2, 4, 3, 3)]
KO_GAMMAS = [0.0, 0.5, 2.0, 3.7]
KO_ALPHAS = [0.25, 0.5, None]
KO_REDUCTIONS = ["none", "sum"]


def kornia_alpha_vector(alpha, C):
    """Per-class weights equivalent to kornia's scalar alpha (see kornia/losses/focal.py)."""
    if alpha is None:
        return None
    return [1.0 - alpha] + [alpha] * (C - 1)


def run_kornia(name, dtype_name, shape, x_np, y_np, alpha, gamma, reduction, ignore_index=-100, extra=None,
               weight_np=None):
    dtype = DTYPES[dtype_name]
    tshape = target_shape_of(shape)
    C = shape[1]
    x = torch.tensor(np.asarray(x_np, dtype=np.float64).reshape(shape), dtype=dtype, requires_grad=True)
    y = torch.tensor(np.asarray(y_np, dtype=np.int64).reshape(tshape), dtype=torch.int64)
    w = None if weight_np is None else torch.tensor(np.asarray(weight_np, dtype=np.float64), dtype=dtype)
    loss = kornia_focal_loss(x, y, alpha=alpha, gamma=gamma, reduction=reduction, weight=w,
                             ignore_index=ignore_index)
    loss.sum().backward()
    grad = x.grad if x.grad is not None else torch.zeros_like(x)
    case = {
        "name": name,
        "peer": "kornia.losses.focal_loss",
        "family": "softmax",
        "dtype": dtype_name,
        "shape": list(shape),
        "logits": enc_tensor(x),
        "target_shape": list(tshape),
        "targets": [int(v) for v in y.reshape(-1).tolist()],
        "alpha": kornia_alpha_vector(alpha, C) if w is None else enc_tensor(w),
        "kornia_alpha": alpha,
        "gamma": gamma,
        "ignore_index": ignore_index,
        "label_smoothing": 0.0,
        "reduction": reduction,
    }
    if w is not None:
        assert alpha is None  # so that 'alpha' is exactly the weight vector kornia used
        case["kornia_weight"] = enc_tensor(w)
    if reduction == "none":
        # kornia returns a (N, C, *) map whose target-class slice holds the
        # per-position loss and whose other entries are exactly 0. "loss" is
        # the per-position (N, *) loss, read out of the map at the target
        # class (0 at ignored positions) -- no arithmetic is performed.
        lmap = loss.detach()
        valid = y != ignore_index
        safe_y = torch.where(valid, y, torch.zeros_like(y))
        onehot = F.one_hot(safe_y, C).movedim(-1, 1).bool() & valid.unsqueeze(1)
        assert bool((lmap[~onehot] == 0).all()), name  # non-target / ignored entries are exactly zero
        per = lmap.gather(1, safe_y.unsqueeze(1)).squeeze(1)
        per = torch.where(valid, per, torch.zeros_like(per))
        case["loss"] = enc_tensor(per)
        case["kornia_loss_map_shape"] = list(lmap.shape)
        case["kornia_loss_map"] = enc_tensor(lmap)
    else:
        case["loss"] = enc_loss(loss, reduction)
    case["grad"] = enc_tensor(grad)
    if extra:
        case.update(extra)
    if not all_finite(case["grad"]):
        case["peer_nonfinite_grad"] = True
    add_case(case)


def kornia_cases():
    for dtype_name in DTYPES:
        for shape in KO_SHAPES:
            for gamma in KO_GAMMAS:
                for alpha in KO_ALPHAS:
                    for reduction in KO_REDUCTIONS:
                        C = shape[1]
                        n_pos = shape[0] * int(np.prod(shape[2:]))
                        rng = rng_for("ko", dtype_name, shape, gamma, alpha, reduction)
                        x = rng.normal(0.0, 2.5, size=int(np.prod(shape)))
                        y, _ = make_class_targets(rng, n_pos, C, "no_ignored")
                        name = "kornia_%s_g%s_a%s_%s_%s" % (
                            dtype_name, fmt(gamma), fmt(alpha), reduction, "x".join(str(s) for s in shape))
                        run_kornia(name, dtype_name, shape, x, y, alpha, gamma, reduction)

        # ignored positions (target -100): contribute 0 (kornia's "sum" agrees with the contract)
        for gamma in [0.5, 2.0]:
            for reduction in KO_REDUCTIONS:
                rng = rng_for("ko_ign", dtype_name, gamma, reduction)
                shape = (6, 4)
                x = rng.normal(0.0, 2.5, size=24)
                y, _ = make_class_targets(rng, 6, 4, "ignored_m100")
                run_kornia("kornia_%s_ignored_m100_g%s_a0p25_%s" % (dtype_name, fmt(gamma), reduction),
                           dtype_name, shape, x, y, 0.25, gamma, reduction)

        # per-class weights through kornia's weight= (alpha=None), gamma > 0: weights
        # in 0.5..3 with one zero; stored 'alpha' is exactly the weight tensor
        for shape in [(6, 4), (2, 3, 2, 3)]:
            for gamma in [0.5, 2.0]:
                for reduction in KO_REDUCTIONS:
                    rng = rng_for("ko_w", dtype_name, shape, gamma, reduction)
                    C = shape[1]
                    n_pos = shape[0] * int(np.prod(shape[2:]))
                    x = rng.normal(0.0, 2.5, size=int(np.prod(shape)))
                    y, _ = make_class_targets(rng, n_pos, C, "ignored_m100")
                    w = make_weights(rng, C, "zero")
                    run_kornia("kornia_%s_weight_ignored_m100_g%s_%s_%s" % (
                        dtype_name, fmt(gamma), reduction, "x".join(str(s) for s in shape)),
                        dtype_name, shape, x, y, None, gamma, reduction, weight_np=w)

        # saturation: the target probability rounds to exactly 1. kornia detaches the
        # focal factor there, so its gradient stays finite even at 0 < gamma < 1.
        big = 40.0 if dtype_name == "float64" else 20.0
        shape = (4, 3)
        x = np.zeros((4, 3))
        y = np.array([0, 1, 2, 1])
        x[np.arange(4), y] = big
        x[3] = [0.3, -1.0, 2.0]  # one ordinary row
        for gamma in [0.5, 2.0]:
            for reduction in KO_REDUCTIONS:
                run_kornia("kornia_%s_saturated_g%s_a0p25_%s" % (dtype_name, fmt(gamma), reduction),
                           dtype_name, shape, x.reshape(-1), y, 0.25, gamma, reduction,
                           extra={"saturated": True})


# --------------------------------------------------------------------------
# independent float64 cross-check of the peers against the math contract
# --------------------------------------------------------------------------


def dec(v):
    return float(v)  # also parses the strings "nan", "inf", "-inf"


def ref_sigmoid(case):
    x = torch.tensor([dec(v) for v in case["logits"]], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([dec(v) for v in case["targets"]], dtype=torch.float64)
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    # 1 - p_t = sigmoid(x) (1 - t) + sigmoid(-x) t, without forming 1 - p by subtraction
    omp = torch.sigmoid(x) * (1 - t) + torch.sigmoid(-x) * t
    g = case["gamma"]
    mod = torch.ones_like(omp) if g == 0 else omp.clamp_min(1e-300) ** g
    a = case["alpha"]
    at = torch.ones_like(t) if a is None else a * t + (1 - a) * (1 - t)
    per = at * ce * mod
    return reduce_and_grad(x, per, case["reduction"], per.numel())


def ref_softmax(case):
    shape = case["shape"]
    C = shape[1]
    x = torch.tensor([dec(v) for v in case["logits"]], dtype=torch.float64).reshape(shape).requires_grad_(True)
    y = torch.tensor(case["targets"], dtype=torch.int64).reshape(case["target_shape"])
    valid = y != case["ignore_index"]
    ys = torch.where(valid, y, torch.zeros_like(y))
    logp = torch.log_softmax(x, 1)
    omp = -torch.expm1(logp)
    g = case["gamma"]
    mod = torch.ones_like(omp) if g == 0 else omp.clamp_min(1e-300) ** g
    eps = case["label_smoothing"]
    q = F.one_hot(ys, C).movedim(-1, 1).to(torch.float64) * (1 - eps) + eps / C
    alpha = torch.ones(C, dtype=torch.float64) if case["alpha"] is None else torch.tensor(
        [dec(v) for v in case["alpha"]], dtype=torch.float64)
    av = alpha.view([1, C] + [1] * (len(shape) - 2))
    per = -(av * q * mod * logp).sum(1)
    per = torch.where(valid, per, torch.zeros_like(per))
    denom = (alpha[ys] * valid).sum().item()
    return reduce_and_grad(x, per, case["reduction"], denom)


def reduce_and_grad(x, per, reduction, denom):
    if reduction == "none":
        out = per
    elif reduction == "sum":
        out = per.sum()
    else:
        out = per.sum() / denom if denom != 0 else per.sum() * float("nan")
    out.sum().backward()
    return out.detach().reshape(-1).tolist(), x.grad.reshape(-1).tolist()


def max_err(got, ref, atol):
    worst = 0.0
    for a, b in zip(got, ref):
        a = dec(a)
        if math.isnan(a) or math.isnan(b):
            continue  # non-finite values are reported separately
        worst = max(worst, abs(a - b) / (abs(b) + atol))
    return worst


def cross_check():
    summary = {}
    for case in CASES:
        if case.get("saturated"):
            continue  # the peer is knowingly inaccurate there (see notes)
        ref_loss, ref_grad = (ref_sigmoid if case["family"] == "sigmoid" else ref_softmax)(case)
        loss = case["loss"] if isinstance(case["loss"], list) else [case["loss"]]
        grad = case["grad"]
        atol = 1e-6 if case["dtype"] == "float32" else 1e-13
        key = (case["peer"], case["dtype"])
        el, eg = max_err(loss, ref_loss, atol), max_err(grad, ref_grad, atol)
        s = summary.setdefault(key, [0.0, 0.0, "", ""])
        if el > s[0]:
            s[0], s[2] = el, case["name"]
        if eg > s[1]:
            s[1], s[3] = eg, case["name"]
    lines = []
    for (peer, dt), (el, eg, nl, ng) in sorted(summary.items()):
        lines.append("%s %s: max rel err vs contract (atol %g) loss %.3g [%s], grad %.3g [%s]"
                     % (peer, dt, 1e-6 if dt == "float32" else 1e-13, el, nl, eg, ng))
    return lines


# --------------------------------------------------------------------------


NOTES = [
    "Every 'loss' and 'grad' value is a real output of the named peer (torch autograd for gradients). "
    "'grad' is d(loss.sum())/d(logits): for reduction 'none' the gradient of the sum of the per-element losses.",
    "Floats are exact doubles (float32 peer outputs were widened to float64 exactly). Non-finite values are "
    "written as the strings 'nan', 'inf', '-inf'.",
    "Inputs (logits, targets, weights) are stored after rounding to the case dtype, i.e. exactly what the peer saw.",
    "gamma/alpha/label_smoothing are the Python floats passed to the peer (torch may round a Python-float "
    "exponent such as 3.7 to the tensor dtype inside pow).",
    "torchvision: alpha null means torchvision alpha=-1 (weighting disabled). Its 'mean' is sum / element count; "
    "the mean of an empty tensor is nan. torchvision forms 1-p_t by subtraction, so for large |x| (esp. float32) "
    "its tiny losses lose relative accuracy; cases with |x| in {15, 30} are float64 only ('extreme': true). "
    "'saturated': true cases go further (sigmoid rounds to exactly 1) to record the peer's non-finite gradients "
    "at 0<gamma<1 ('peer_nonfinite_grad': true); compare their losses with an absolute tolerance.",
    "cross_entropy cases are the softmax focal loss at gamma = 0; 'alpha' holds the weight tensor passed as "
    "weight= (rounded to the dtype), null = no weight. Mean = sum / sum of alpha[y] over non-ignored targets. "
    "When every target is ignored (or every non-ignored target has weight 0) torch's mean is nan but its "
    "gradient is all zeros (recorded as such).",
    "kornia.losses.focal_loss: kornia's scalar alpha weights class 0 by 1-alpha and every other class by alpha "
    "(kornia/losses/focal.py, focal_loss: alpha_fac = torch.tensor([1 - alpha] + [alpha] * (num_of_classes - 1)) "
    "on the dense path, and torch.where(target == 0, 1 - alpha, alpha) on the reduced path), so the equivalent "
    "per-class vector [1-alpha, alpha, ..., alpha] is stored in 'alpha' and the scalar in 'kornia_alpha' "
    "(null = kornia alpha=None, every class weighted 1). Only 'none' and 'sum' are emitted: kornia's 'mean' "
    "divides by N*C*prod(spatial) (every entry of its (N, C, *) map), not by the weight sum.",
    "kornia 'none' returns an (N, C, *) map that is zero except at the target class. 'loss' holds the "
    "per-position (N, *) loss read from the map at the target class (0 at ignored positions; the script asserts "
    "all other map entries are exactly 0); the raw map is kept in 'kornia_loss_map' / 'kornia_loss_map_shape'.",
    "kornia detaches the focal factor (1-p_t)^gamma where 1-p_t == 0 exactly (focal.py: saturated = base == 0), "
    "so its gradients stay finite at 0<gamma<1 even when p_t rounds to 1 ('saturated': true kornia cases).",
    "kornia cases with 'kornia_weight' pass per-class weights through kornia's weight= argument with "
    "alpha=None; 'alpha' then equals that weight vector. kornia's ignore_index (-100) is used in the "
    "'*ignored_m100*' kornia cases (reductions none/sum only, whose semantics match the contract).",
    "No peer implements label smoothing for the softmax focal loss at gamma > 0, and no peer's 'mean' with "
    "gamma > 0 normalises by the sum of alpha[y], so no such values are in this file (they are not invented).",
]


def label_smoothing_note():
    quirk = [c["name"] for c in CASES if c.get("torch_quirk")]
    probed = [c["name"] for c in CASES if "torch_quirk" in c]
    if quirk:
        return ("torch label-smoothing mean quirk PRESENT in torch %s: %d of %d probed cases (mean, "
                "label_smoothing>0, weight=None, some targets ignored) differ from sum/non-ignored count; "
                "see 'torch_quirk', 'quirk_note', 'expected_contract_loss'." % (torch.__version__, len(quirk),
                                                                                  len(probed)))
    return ("torch label-smoothing mean: in torch %s, cross_entropy(reduction='mean', label_smoothing>0, "
            "weight=None) with ignored targets divides BOTH the nll term and the smoothing term by the number of "
            "NON-ignored targets (aten/src/ATen/native/LossNLL.cpp, cross_entropy_loss_label_smoothing: "
            "smooth_loss.masked_fill_(ignore_mask, 0.0); ... auto true_mask = ~ignore_mask; "
            "ret = smooth_loss.sum()/ true_mask.sum();), so it equals our contract. Verified numerically on "
            "all %d probed cases (marked 'torch_quirk': false, with 'expected_contract_loss' = float64 sum of the "
            "per-position 'none' losses / non-ignored count). Old torch releases divided by all positions "
            "(pytorch/pytorch#73205)." % (torch.__version__, len(probed)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             "peers.json")
    sigmoid_cases()
    ce_cases()
    kornia_cases()
    check_lines = cross_check()
    nonfinite = [c["name"] for c in CASES if c.get("peer_nonfinite_grad")]
    notes = NOTES + [label_smoothing_note()]
    notes.append("cases with a non-finite peer gradient: %s" % (", ".join(nonfinite) if nonfinite else "none"))
    notes += ["generation-time cross-check (informational): " + l for l in check_lines]
    doc = {
        "generator": GENERATOR,
        "versions": {
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "kornia": kornia.__version__,
            "numpy": np.__version__,
        },
        "notes": notes,
        "cases": CASES,
    }
    text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    with open(out, "w") as f:
        f.write(text)
        f.write("\n")
    counts = {}
    for c in CASES:
        counts[c["peer"]] = counts.get(c["peer"], 0) + 1
    print("wrote %s: %d bytes, %d cases" % (out, len(text) + 1, len(CASES)))
    for k, v in sorted(counts.items()):
        print("  %-40s %d" % (k, v))
    for l in notes[-(len(check_lines) + 2):]:
        print(l)


if __name__ == "__main__":
    main()
