"""Golden values of the focal family (issue 14) from the peers' own code.

Writes ``Tests/golden/focal_family.json`` (next to this script): per-element losses and torch
autograd gradients with respect to the logits from

* ``timm.loss.AsymmetricLossMultiLabel``                 asymmetric loss (ASL)
* ``fvcore.nn.sigmoid_focal_loss_star`` (and ``_jit``)   FL* (Lin et al. 2017, appendix)
* mmdet ``quality_focal_loss``, ``quality_focal_loss_tensor_target``
  (mmdet/models/losses/gfocal_loss.py)                   quality focal loss (GFL)
* mmdet ``varifocal_loss`` (mmdet/models/losses/varifocal_loss.py)   varifocal loss (VarifocalNet)
* Poly-1 (Leng et al. 2022) has no peer library: a float64 torch transcription of the paper's
  formula (its appendix code: ``FL + epsilon * (1 - pt)**(gamma + 1)``), labelled
  ``"reference transcription"`` (not a peer) in the JSON.

How to run (from the repository root; about 5 seconds, byte-for-byte reproducible):

    build/golden-venv/bin/python Tests/golden/make_focal_family_golden.py [output.json]

The environment ``build/golden-venv`` (outside the library; never used by the tests, which read
the JSON only) was made like this:

    python3 -m venv --system-site-packages build/golden-venv
    # reuse torch/torchvision of build/test-venv instead of a second 2 GB copy:
    echo /work/main/build/test-venv/lib/python3.11/site-packages \\
        > build/golden-venv/lib/python3.11/site-packages/_test_venv_torch.pth
    build/golden-venv/bin/pip install --no-deps timm fvcore huggingface_hub safetensors yacs \\
        iopath tabulate termcolor tqdm portalocker
    build/golden-venv/bin/pip install --no-deps mmengine mmdet mmcv-lite addict rich yapf platformdirs

(``--no-deps`` because pip's resolver would otherwise try to replace the torch it sees through the
.pth file; any venv with torch, timm, fvcore, mmdet and mmengine works, plus numpy and mpmath.)

How mmdet is imported: ``import mmdet`` runs mmdet/__init__.py, which imports mmcv (its image
module needs OpenCV) and asserts ``mmcv < 2.2.0``; mmcv's compiled ops are not needed by the two
loss modules. So this script registers three empty package modules ``mmdet``, ``mmdet.models``
and ``mmdet.models.losses`` whose ``__path__`` is the installed package's directory: the package
``__init__.py`` files are skipped, and ``mmdet/registry.py`` (mmengine's registry),
``mmdet/models/losses/utils.py`` (``weighted_loss``, ``weight_reduce_loss``),
``gfocal_loss.py`` and ``varifocal_loss.py`` are imported unchanged from the installed mmdet, so the
loss math and its decorators are mmdet's own code. Nothing is stubbed or transcribed.

Cases (all inputs are float64 unless a case says otherwise; stored as exactly what the peer saw):

* ``hard``: a grid of 17 logits from -30 to 30 (saturated ones included), each with target 0 and 1.
* ``soft``: fixed-seed random logits in (-12, 12) with soft targets / IoU scores in [0, 1]
  (exact 0 and 1 included; QFL also x = 0 with y = 0.5, where |y - sigma(x)| = 0 exactly).
* ``extreme``: |x| in {38, 60, 81, 100}, beyond the range the peers are written for, to record
  where they stop being right (float64).
* ``float32`` / ``float16`` cases of each peer on a grid up to |x| = 81 record the known faults
  in low precision (e.g. ASL's NaN under fp16, Alibaba-MIIL/ASL#53).
* timm and fvcore convert their inputs to float32 (``x.float()``) before any math, so with float64
  inputs they compute in float32. Each of their cases is stored twice: ``variant: "as_shipped"``
  (what the library does, float32 inside) and ``variant: "float64_cast_bypassed"``: the same peer
  function with ``torch.Tensor.float`` made the identity for the duration of the call (the only
  change), so the peer's own formula runs in float64. For timm ASL in float16 that bypass is
  exactly the original Alibaba-MIIL/ASL code path, which is how ASL#53's NaN is reproduced.

After writing, every value is compared with the independent mpmath reference
``focal_family_reference.py`` (issue 14's definitions; 60 digits): the script prints the largest
relative difference per peer and variant and stores it in the JSON (per case in
``ref_max_rel_diff``; summed up in ``reference_comparison``). Elements where a peer deviates from
the definition by more than its computation dtype allows (float64 1e-9, float32 1e-5,
float16 1e-2, relative) are listed per case in ``fault_elements_loss`` / ``fault_elements_grad``:
there the library must be right, not equal to the peer. The faults found (timm's eps clamp, its NaN
gradient at 0 < gamma_neg < 1 below the margin, torch BCEWithLogits' missing log1p under mmdet, mmdet
VFL's NaN gradient at gamma < 1 where sigmoid(x) == q, subtraction-formed 1 - p in timm, mmdet and
the Poly-1 transcription, ASL#53's fp16 NaN) are summarised in the JSON's notes under FINDINGS, and
every faulty case is named there.
"""

import contextlib
import importlib.metadata as md
import json
import math
import os
import sys
import time
import types

import mpmath
import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # no __pycache__ next to the goldens
import focal_family_reference as ref  # noqa: E402

GENERATOR = "Tests/golden/make_focal_family_golden.py"


# --------------------------------------------------------------------------
# the peers


def import_mmdet_losses():
    import importlib.util
    spec = importlib.util.find_spec("mmdet")
    if spec is None:
        raise ImportError("mmdet is not installed")
    root = list(spec.submodule_search_locations)[0]
    for name, sub in [("mmdet", ""), ("mmdet.models", "models"), ("mmdet.models.losses", "models/losses")]:
        mod = types.ModuleType(name)
        mod.__path__ = [os.path.join(root, sub) if sub else root]
        mod.__file__ = None
        sys.modules[name] = mod
    import mmdet.models.losses.gfocal_loss as gfl
    import mmdet.models.losses.varifocal_loss as vfl
    return gfl, vfl


import warnings  # noqa: E402
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import timm  # noqa: E402
    from timm.loss import AsymmetricLossMultiLabel  # noqa: E402
    import fvcore  # noqa: E402,F401
    from fvcore.nn import sigmoid_focal_loss_star, sigmoid_focal_loss_star_jit  # noqa: E402
    GFL, VFL = import_mmdet_losses()

DT = {"float64": torch.float64, "float32": torch.float32, "float16": torch.float16}
FAULT_RTOL = {"float64": 1e-9, "float32": 1e-5, "float16": 1e-2}
TINY = {"float64": 2.2250738585072014e-308, "float32": 1.1754943508222875e-38, "float16": 6.103515625e-05}


@contextlib.contextmanager
def float_cast_bypassed():
    """torch.Tensor.float as the identity: timm/fvcore then run their own formula in the input dtype."""
    orig = torch.Tensor.float
    torch.Tensor.float = lambda self, *a, **k: self
    try:
        yield
    finally:
        torch.Tensor.float = orig


# --------------------------------------------------------------------------
# encoding


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc_list(t):
    return [enc(v) for v in torch.as_tensor(t).detach().to(torch.float64).reshape(-1).tolist()]


def dec(v):
    return float(v)


def rng_for(*key):
    seed = 0
    for ch in "/".join(str(k) for k in key):
        seed = (seed * 131 + ord(ch)) % (2**63)
    return np.random.default_rng(seed)


def fmt(v):
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "T" if v else "F"
    return ("%g" % v).replace(".", "p").replace("-", "m")


# --------------------------------------------------------------------------
# inputs

GRID = [-30.0, -20.0, -18.5, -12.0, -6.0, -2.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 2.0, 6.0, 12.0, 18.5, 20.0, 30.0]
EXTREME = [-100.0, -81.0, -60.0, -38.0, 38.0, 60.0, 81.0, 100.0]
LOWP = [-81.0, -38.0, -20.0, -10.0, -4.0, -1.0, 0.0, 1.0, 4.0, 10.0, 20.0, 38.0, 81.0]


def hard_inputs(values):
    n = len(values)
    x = np.array(values + values, dtype=np.float64)
    t = np.array([0.0] * n + [1.0] * n)
    return x, t, (2, n)


def soft_inputs(key, n_rows=4, n_cols=6, special=True):
    rng = rng_for("soft", key)
    n = n_rows * n_cols
    x = rng.uniform(-12.0, 12.0, size=n)
    t = rng.uniform(0.0, 1.0, size=n)
    t[rng.choice(n, size=4, replace=False)] = 0.0
    t[rng.choice(n, size=2, replace=False)] = 1.0
    if special:
        x[0], t[0] = 0.0, 0.5          # |t - sigma(x)| = 0 exactly
        x[1], t[1] = 3.0, 0.1
        x[2], t[2] = -3.0, 0.9
    return x, t, (n_rows, n_cols)


# --------------------------------------------------------------------------
# cases

CASES = []
NAMES = set()


def add(case):
    assert case["name"] not in NAMES, case["name"]
    NAMES.add(case["name"])
    CASES.append(case)


def run_elementwise(name, peer, kind, fn, x_np, t_np, shape, params, dtype_name, compute_dtype, extra=None,
                    variant=None):
    dtype = DT[dtype_name]
    x = torch.tensor(np.asarray(x_np).reshape(shape), dtype=dtype, requires_grad=True)
    t = torch.tensor(np.asarray(t_np).reshape(shape), dtype=dtype)
    loss = fn(x, t)
    assert loss.shape == x.shape, (name, loss.shape)
    loss.sum().backward()
    case = {
        "name": name, "peer": peer, "loss_kind": kind, "variant": variant, "dtype": dtype_name,
        "compute_dtype": compute_dtype, "loss_dtype": str(loss.dtype).replace("torch.", ""),
        "shape": list(shape), "params": params,
        "logits": enc_list(x), "targets": enc_list(t),
        "loss": enc_list(loss), "grad": enc_list(x.grad),
    }
    if variant is None:
        del case["variant"]
    if extra:
        case.update(extra)
    add(case)
    return case


# ---- timm ASL


ASL_PARAMS = [  # (gamma_neg, gamma_pos, clip, eps, disable_torch_grad_focal_loss)
    (4.0, 1.0, 0.05, 1e-8, False),   # timm's defaults
    (0.0, 0.0, 0.0, 1e-8, False),    # BCE (focusing skipped by timm)
    (2.0, 2.0, 0.0, 1e-8, False),    # = focal loss without alpha
    (4.0, 1.0, 0.0, 1e-8, False),
    (4.0, 0.0, 0.2, 1e-8, False),
    (0.5, 1.5, 0.05, 1e-8, False),
    (4.0, 1.0, 0.05, 1e-8, True),    # detached focusing weight: grad is not the derivative
]


def asl_fn(gn, gp, clip, eps, detach):
    mod = AsymmetricLossMultiLabel(gamma_neg=gn, gamma_pos=gp, clip=clip, eps=eps,
                                   disable_torch_grad_focal_loss=detach, reduction="none")
    return lambda x, t: mod(x, t)


def asl_params(gn, gp, clip, eps, detach):
    return {"gamma_neg": gn, "gamma_pos": gp, "clip": clip, "eps": eps, "disable_torch_grad_focal_loss": detach}


def asl_cases():
    peer = "timm.loss.AsymmetricLossMultiLabel"
    for gn, gp, clip, eps, detach in ASL_PARAMS:
        p = asl_params(gn, gp, clip, eps, detach)
        extra = {"grad_is_not_derivative": True} if detach else {}
        for kind_name, (x, t, shape) in [("hard", hard_inputs(GRID)), ("soft", soft_inputs("asl", special=False))]:
            base = "asl_gn%s_gp%s_clip%s%s_%s" % (fmt(gn), fmt(gp), fmt(clip), "_detach" if detach else "", kind_name)
            run_elementwise(base + "_shipped", peer, "asl", asl_fn(gn, gp, clip, eps, detach), x, t, shape, p,
                            "float64", "float32", dict(extra, inputs=kind_name), "as_shipped")
            with float_cast_bypassed():
                run_elementwise(base + "_f64", peer, "asl", asl_fn(gn, gp, clip, eps, detach), x, t, shape, p,
                                "float64", "float64", dict(extra, inputs=kind_name), "float64_cast_bypassed")
    # the default reduction ('batchmean' = sum / batch size) of the default module, recorded once
    x, t, shape = hard_inputs(GRID)
    mod = AsymmetricLossMultiLabel()
    xt = torch.tensor(x.reshape(shape), dtype=torch.float64)
    tt = torch.tensor(t.reshape(shape), dtype=torch.float64)
    CASES[0]["loss_default_reduction"] = {"reduction": mod.reduction, "value": enc(mod(xt, tt).item())}
    # extreme logits, float64, defaults and clip = 0
    for gn, gp, clip in [(4.0, 1.0, 0.05), (4.0, 1.0, 0.0)]:
        x, t, shape = hard_inputs(EXTREME)
        p = asl_params(gn, gp, clip, 1e-8, False)
        base = "asl_gn%s_gp%s_clip%s_extreme" % (fmt(gn), fmt(gp), fmt(clip))
        run_elementwise(base + "_shipped", peer, "asl", asl_fn(gn, gp, clip, 1e-8, False), x, t, shape, p,
                        "float64", "float32", {"inputs": "extreme"}, "as_shipped")
        with float_cast_bypassed():
            run_elementwise(base + "_f64", peer, "asl", asl_fn(gn, gp, clip, 1e-8, False), x, t, shape, p,
                            "float64", "float64", {"inputs": "extreme"}, "float64_cast_bypassed")
    # low precision inputs
    x, t, shape = hard_inputs(LOWP)
    for gn, gp, clip in [(4.0, 1.0, 0.05), (4.0, 1.0, 0.0)]:
        p = asl_params(gn, gp, clip, 1e-8, False)
        for dt in ["float32", "float16"]:
            base = "asl_gn%s_gp%s_clip%s_%s" % (fmt(gn), fmt(gp), fmt(clip), dt)
            run_elementwise(base + "_shipped", peer, "asl", asl_fn(gn, gp, clip, 1e-8, False), x, t, shape, p,
                            dt, "float32", {"inputs": "lowp"}, "as_shipped")
        with float_cast_bypassed():
            run_elementwise("asl_gn%s_gp%s_clip%s_float16_original_asl" % (fmt(gn), fmt(gp), fmt(clip)), peer,
                            "asl", asl_fn(gn, gp, clip, 1e-8, False), x, t, shape, p, "float16", "float16",
                            {"inputs": "lowp", "demonstrates": "Alibaba-MIIL/ASL#53: without timm's float32 cast "
                             "(the original ASL code) fp16 probabilities fall below the 1e-8 clamp (which rounds "
                             "to 0 in fp16), log(0) = -inf, and 0 * -inf = NaN"},
                            "float16_cast_bypassed")


# ---- fvcore FL*

FLS_PARAMS = [(1.0, -1.0), (2.0, -1.0), (2.0, 0.25), (0.5, -1.0), (4.0, 0.5)]   # (gamma, alpha); fvcore default (1, -1)


def fls_fn(gamma, alpha, jit=False):
    f = sigmoid_focal_loss_star_jit if jit else sigmoid_focal_loss_star
    return lambda x, t: f(x, t, alpha=alpha, gamma=gamma, reduction="none")


def fls_cases():
    peer = "fvcore.nn.sigmoid_focal_loss_star"
    for gamma, alpha in FLS_PARAMS:
        p = {"gamma": gamma, "beta": 0.0, "alpha": alpha}
        for kind_name, (x, t, shape) in [("hard", hard_inputs(GRID)), ("soft", soft_inputs("fls", special=False))]:
            base = "flstar_g%s_a%s_%s" % (fmt(gamma), fmt(alpha), kind_name)
            a = run_elementwise(base + "_shipped", peer, "fl_star", fls_fn(gamma, alpha), x, t, shape, p,
                                "float64", "float32", {"inputs": kind_name}, "as_shipped")
            with float_cast_bypassed():
                run_elementwise(base + "_f64", peer, "fl_star", fls_fn(gamma, alpha), x, t, shape, p,
                                "float64", "float64", {"inputs": kind_name}, "float64_cast_bypassed")
            if kind_name == "hard" and alpha == -1.0 and gamma in (1.0, 2.0):
                j = run_elementwise(base + "_jit", peer + "_jit", "fl_star", fls_fn(gamma, alpha, True), x, t, shape,
                                    p, "float64", "float32", {"inputs": kind_name}, "as_shipped")
                j["equals_eager_bitwise"] = (j["loss"] == a["loss"] and j["grad"] == a["grad"])
    x, t, shape = hard_inputs(EXTREME)
    for gamma in [1.0, 2.0]:
        p = {"gamma": gamma, "beta": 0.0, "alpha": -1.0}
        run_elementwise("flstar_g%s_extreme_shipped" % fmt(gamma), peer, "fl_star", fls_fn(gamma, -1.0), x, t, shape,
                        p, "float64", "float32", {"inputs": "extreme"}, "as_shipped")
        with float_cast_bypassed():
            run_elementwise("flstar_g%s_extreme_f64" % fmt(gamma), peer, "fl_star", fls_fn(gamma, -1.0), x, t,
                            shape, p, "float64", "float64", {"inputs": "extreme"}, "float64_cast_bypassed")
    x, t, shape = hard_inputs(LOWP)
    for dt in ["float32", "float16"]:
        p = {"gamma": 2.0, "beta": 0.0, "alpha": -1.0}
        run_elementwise("flstar_g2_%s_shipped" % dt, peer, "fl_star", fls_fn(2.0, -1.0), x, t, shape, p, dt,
                        "float32", {"inputs": "lowp"}, "as_shipped")


# ---- mmdet QFL

QFL_BETAS = [2.0, 0.0, 0.5, 1.0, 3.0]   # mmdet default 2.0


def qfl_inputs(key, n=8, C=4, hard=False):
    """mmdet's convention: pred (N, C), label (N,) in [0, C] (C = background), score (N,)."""
    rng = rng_for("qfl", key)
    if hard:
        x = np.resize(np.array(GRID), n * C)
        label = np.array([i % (C + 1) for i in range(n)])
        score = np.where(label < C, 1.0, 0.0)
    else:
        x = rng.uniform(-12.0, 12.0, size=n * C)
        label = rng.integers(0, C + 1, size=n)
        label[:3] = [0, 1, C]
        score = rng.uniform(0.0, 1.0, size=n)
        score[3] = 0.0   # a positive with quality 0
        score[4] = 1.0
        x[0], score[0] = 0.0, 0.5   # |score - sigma(x)| = 0 exactly at (0, 0)
    dense = np.zeros((n, C))
    for i in range(n):
        if label[i] < C:
            dense[i, label[i]] = score[i]
    return x, label, score, dense.reshape(-1), (n, C)


def run_qfl(name, x_np, label, score, dense, shape, beta, dtype_name, inputs, compute_dtype=None):
    dtype = DT[dtype_name]
    n, C = shape
    x = torch.tensor(x_np.reshape(shape), dtype=dtype, requires_grad=True)
    lab = torch.tensor(label, dtype=torch.int64)
    sc = torch.tensor(score, dtype=dtype)
    rows = GFL.quality_focal_loss(x, (lab, sc), beta=beta, reduction="none")
    rows.sum().backward()
    # per-element losses: the same mmdet function on the (N*C, 1) reshape, one "class" per row
    # (label 0 where the dense target is a positive, 1 = background elsewhere)
    x1 = x.detach().reshape(-1, 1).clone().requires_grad_(True)
    flat_lab = torch.tensor([0 if (label[i] < C and label[i] == c) else 1 for i in range(n) for c in range(C)])
    flat_sc = torch.tensor(dense, dtype=dtype)
    per = GFL.quality_focal_loss(x1, (flat_lab, flat_sc), beta=beta, reduction="none")
    per.sum().backward()
    case = {
        "name": name, "peer": "mmdet.models.losses.gfocal_loss.quality_focal_loss", "loss_kind": "qfl",
        "dtype": dtype_name, "compute_dtype": compute_dtype or dtype_name,
        "loss_dtype": str(rows.dtype).replace("torch.", ""), "shape": list(shape),
        "params": {"beta": beta}, "inputs": inputs,
        "logits": enc_list(x), "label": [int(v) for v in label], "score": enc_list(sc),
        "targets": enc_list(flat_sc),
        "loss": enc_list(per), "loss_row_sums": enc_list(rows), "grad": enc_list(x.grad),
    }
    case["per_element_grad_equals_row_call"] = enc_list(x1.grad) == case["grad"]
    add(case)
    # the dense (tensor-target) variant on the same targets
    xd = torch.tensor(x_np.reshape(shape), dtype=dtype, requires_grad=True)
    td = torch.tensor(dense.reshape(shape), dtype=dtype)
    rows_d = GFL.quality_focal_loss_tensor_target(xd, td, beta=beta, reduction="none")
    rows_d.sum().backward()
    c2 = {
        "name": name.replace("qfl_", "qfl_tensor_target_"),
        "peer": "mmdet.models.losses.gfocal_loss.quality_focal_loss_tensor_target", "loss_kind": "qfl",
        "dtype": dtype_name, "compute_dtype": compute_dtype or dtype_name,
        "loss_dtype": str(rows_d.dtype).replace("torch.", ""), "shape": list(shape),
        "params": {"beta": beta}, "inputs": inputs, "logits": enc_list(xd), "targets": enc_list(td),
        "loss_row_sums": enc_list(rows_d), "grad": enc_list(xd.grad),
        "loss_reduced_only": "per-element losses are those of the quality_focal_loss case '%s' (same "
                             "inputs); this variant returns row sums only" % name,
    }
    c2["row_sums_equal_quality_focal_loss"] = c2["loss_row_sums"] == case["loss_row_sums"]
    c2["grad_equals_quality_focal_loss"] = c2["grad"] == case["grad"]
    add(c2)


def qfl_cases():
    for beta in QFL_BETAS:
        for inputs in ["hard", "soft"]:
            x, label, score, dense, shape = qfl_inputs("q", hard=(inputs == "hard"))
            run_qfl("qfl_b%s_%s" % (fmt(beta), inputs), x, label, score, dense, shape, beta, "float64", inputs)
    # soft targets, multiple positives per row: only the tensor-target function accepts them
    x, t, shape = soft_inputs("qflmulti")
    for beta in [2.0, 0.5]:
        run_elementwise("qfl_tensor_target_multi_b%s" % fmt(beta),
                        "mmdet.models.losses.gfocal_loss.quality_focal_loss_tensor_target (columns one by one)",
                        "qfl", lambda xx, tt, beta=beta: torch.stack(
                            [GFL.quality_focal_loss_tensor_target(xx[:, c:c + 1], tt[:, c:c + 1], beta=beta,
                                                                  reduction="none") for c in range(xx.shape[1])],
                            dim=1),
                        x, t, shape, {"beta": beta}, "float64", "float64", {"inputs": "soft_multi"})
    n = len(EXTREME)
    x = np.array(EXTREME * 2, dtype=np.float64)
    label = np.array([0] * n + [1] * n)     # C = 1: label 0 positive (score 1), label 1 background
    score = np.array([0.0] * n + [1.0] * n)
    dense = np.where(label == 0, score, 0.0)
    run_qfl("qfl_b2_extreme", x, label, score, dense, (2 * n, 1), 2.0, "float64", "extreme")
    m = len(LOWP)
    x = np.array(LOWP * 2, dtype=np.float64)
    label = np.array([1] * m + [0] * m)
    score = np.array([0.0] * m + [1.0] * m)
    dense = np.where(label == 0, score, 0.0)
    for dt in ["float32", "float16"]:
        run_qfl("qfl_b2_%s" % dt, x, label, score, dense, (2 * m, 1), 2.0, dt, "lowp")


# ---- mmdet VFL

VFL_PARAMS = [(0.75, 2.0, True), (0.75, 2.0, False), (0.25, 1.0, True), (0.5, 0.5, True), (1.0, 3.0, True)]


def vfl_fn(alpha, gamma, iw):
    return lambda x, t: VFL.varifocal_loss(x, t, alpha=alpha, gamma=gamma, iou_weighted=iw, reduction="none")


def vfl_cases():
    peer = "mmdet.models.losses.varifocal_loss.varifocal_loss"
    for alpha, gamma, iw in VFL_PARAMS:
        p = {"alpha": alpha, "gamma": gamma, "iou_weighted": iw}
        for kind_name, (x, t, shape) in [("hard", hard_inputs(GRID)), ("soft", soft_inputs("vfl"))]:
            run_elementwise("vfl_a%s_g%s_iw%s_%s" % (fmt(alpha), fmt(gamma), fmt(iw), kind_name), peer, "vfl",
                            vfl_fn(alpha, gamma, iw), x, t, shape, p, "float64", "float64", {"inputs": kind_name})
    x, t, shape = hard_inputs(EXTREME)
    run_elementwise("vfl_a0p75_g2_iwT_extreme", peer, "vfl", vfl_fn(0.75, 2.0, True), x, t, shape,
                    {"alpha": 0.75, "gamma": 2.0, "iou_weighted": True}, "float64", "float64", {"inputs": "extreme"})
    x, t, shape = hard_inputs(LOWP)
    for dt in ["float32", "float16"]:
        run_elementwise("vfl_a0p75_g2_iwT_%s" % dt, peer, "vfl", vfl_fn(0.75, 2.0, True), x, t, shape,
                        {"alpha": 0.75, "gamma": 2.0, "iou_weighted": True}, dt, dt + " (mixed: the target masks "
                        "are .float(), so float16 inputs give a float32 loss)" if dt == "float16" else dt,
                        {"inputs": "lowp"})


# ---- Poly-1 (reference transcription, not a peer)


def poly1_sigmoid_torch(x, t, gamma, eps, alpha):
    """Leng et al. 2022, appendix code (poly1_focal_loss), in torch: alpha weights FL only."""
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    pt = t * p + (1 - t) * (1 - p)
    fl = ce * (1 - pt) ** gamma
    if alpha is not None and alpha >= 0:
        fl = (alpha * t + (1 - alpha) * (1 - t)) * fl
    return fl + eps * (1 - pt) ** (gamma + 1)


def poly1_softmax_torch(x, y, gamma, eps):
    logp = F.log_softmax(x, dim=1).gather(1, y[:, None])[:, 0]
    pt = logp.exp()
    return -(1 - pt) ** gamma * logp + eps * (1 - pt) ** (gamma + 1)


POLY_SIG = [(2.0, 1.0, 0.25), (2.0, 0.0, 0.25), (2.0, -1.0 / 3.0, None), (0.0, 1.0, None), (0.5, 2.0, None)]
POLY_SOFT = [(0.0, 1.0), (2.0, 1.0), (2.0, -0.3), (0.5, 2.0)]


def poly1_cases():
    who = "reference transcription (Leng et al. 2022 appendix formula in float64 torch; not a peer)"
    for gamma, eps, alpha in POLY_SIG:
        p = {"gamma": gamma, "poly1_epsilon": eps, "alpha": alpha}
        for kind_name, (x, t, shape) in [("hard", hard_inputs(GRID)), ("soft", soft_inputs("poly", special=False))]:
            run_elementwise("poly1_sigmoid_g%s_e%s_a%s_%s" % (fmt(gamma), fmt(round(eps, 4)), fmt(alpha), kind_name),
                            who, "poly1_sigmoid", lambda xx, tt, g=gamma, e=eps, a=alpha: poly1_sigmoid_torch(
                                xx, tt, g, e, a), x, t, shape, p, "float64", "float64", {"inputs": kind_name})
    rng = rng_for("poly1_softmax")
    N, C = 6, 5
    x = rng.normal(0.0, 3.0, size=(N, C))
    x[0] = [30.0, -30.0, 0.0, 1.0, -2.0]    # saturated row, label 0 (p_y -> 1)
    x[1] = [30.0, -30.0, 0.0, 1.0, -2.0]    # same row, label 1 (p_y -> 0)
    y = rng.integers(0, C, size=N)
    y[0], y[1] = 0, 1
    for gamma, eps in POLY_SOFT:
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        yt = torch.tensor(y, dtype=torch.int64)
        loss = poly1_softmax_torch(xt, yt, gamma, eps)
        loss.sum().backward()
        add({"name": "poly1_softmax_g%s_e%s" % (fmt(gamma), fmt(eps)), "peer": who, "loss_kind": "poly1_softmax",
             "dtype": "float64", "compute_dtype": "float64", "loss_dtype": "float64", "shape": [N, C],
             "params": {"gamma": gamma, "poly1_epsilon": eps, "alpha": None},
             "logits": enc_list(xt), "labels": [int(v) for v in y], "loss": enc_list(loss), "grad": enc_list(xt.grad),
             "inputs": "normal(0, 3) rows, row 0 and 1 saturated"})


# --------------------------------------------------------------------------
# comparison with the mpmath reference


def reference_of(case):
    k, p = case["loss_kind"], case["params"]
    xs = [dec(v) for v in case["logits"]]
    if k == "poly1_softmax":
        N, C = case["shape"]
        L, G = [], []
        for i in range(N):
            l, g = ref.poly1_softmax(xs[i * C:(i + 1) * C], case["labels"][i], p["gamma"], p["poly1_epsilon"])
            L.append(float(l))
            G += [float(v) for v in g]
        return L, G
    ts = [dec(v) for v in case["targets"]]
    if k == "asl":
        return ref.elementwise(ref.asl, xs, ts, gamma_pos=p["gamma_pos"], gamma_neg=p["gamma_neg"],
                               margin=p["clip"] or 0.0)
    if k == "fl_star":
        alpha = None if p["alpha"] < 0 else p["alpha"]
        return ref.elementwise(ref.fl_star, xs, ts, gamma=p["gamma"], beta=p["beta"], alpha=alpha)
    if k == "qfl":
        return ref.elementwise(ref.qfl, xs, ts, beta=p["beta"])
    if k == "vfl":
        return ref.elementwise(ref.vfl, xs, ts, alpha=p["alpha"], gamma=p["gamma"], iou_weighted=p["iou_weighted"])
    if k == "poly1_sigmoid":
        return ref.elementwise(ref.poly1_sigmoid, xs, ts, gamma=p["gamma"], eps=p["poly1_epsilon"], alpha=p["alpha"])
    raise ValueError(k)


def rel_diff(a, r):
    """Relative difference of a peer value a from the reference r; None where r has no value (nan)."""
    if math.isnan(r):
        return None
    if isinstance(a, str):
        a = float(a)
    if math.isnan(a) or math.isinf(a):
        return math.inf
    if a == r:
        return 0.0
    return abs(a - r) / abs(r) if r != 0 else math.inf


def compare(case):
    """Largest relative difference from the reference and the fault indices, for loss and grad.

    An element is a fault where |peer - ref| > rtol |ref| and also > the smallest normal number of
    the dtypes involved (a value that only underflows in the dtype the peer computes or returns in
    is not a fault of the peer). Loss: the compute and the output dtype; grad: compute and input.
    Where the reference has no value (no derivative) the element is skipped and listed."""
    L, G = reference_of(case)
    cdt = case["compute_dtype"].split(" ")[0]
    out = {}
    for what, peer_vals, refs, dts in [("loss", case.get("loss"), L, (cdt, case["loss_dtype"])),
                                       ("grad", case["grad"], G, (cdt, case["dtype"]))]:
        if peer_vals is None:
            out[what] = (None, [], [])
            continue
        tol = max(FAULT_RTOL[d] for d in dts)
        tiny = max(TINY[d] for d in dts)
        worst, faults, undefined = 0.0, [], []
        for i, (a, r) in enumerate(zip(peer_vals, refs)):
            d = rel_diff(a, r)
            if d is None:
                undefined.append(i)
                continue
            if abs(float(a) - r) <= tiny:
                continue   # underflow of the dtype: neither a fault nor counted in the worst difference
            worst = max(worst, d)
            if d > tol:
                faults.append(i)
        out[what] = (worst, faults, undefined)
    return out


def summarize():
    table = {}
    for case in CASES:
        res = compare(case)
        lw, lf, _ = res["loss"]
        gw, gf, gu = res["grad"]
        if gu:
            case["reference_has_no_derivative_at"] = gu
        case["ref_max_rel_diff"] = {"loss": None if lw is None else enc(lw), "grad": enc(gw)}
        case["fault_elements_loss"] = lf
        case["fault_elements_grad"] = [] if case.get("grad_is_not_derivative") else gf
        if case.get("grad_is_not_derivative"):
            case["grad_differs_from_derivative_at"] = gf
        key = (case["peer"].split(" (")[0], case.get("variant", "-"), case["compute_dtype"].split(" ")[0],
               "faulty" if (lf or case["fault_elements_grad"]) else "clean")
        t = table.setdefault(key, [0, 0.0, 0.0, []])
        t[0] += 1
        if lw is not None:
            t[1] = max(t[1], lw)
        if not case.get("grad_is_not_derivative"):
            t[2] = max(t[2], gw)
        if lf or case["fault_elements_grad"]:
            t[3].append(case["name"])
    lines = []
    for (peer, variant, cdt, status), (n, lw, gw, names) in sorted(table.items()):
        lines.append({"peer": peer, "variant": variant, "compute_dtype": cdt, "cases": status, "count": n,
                      "max_rel_diff_loss": enc(lw), "max_rel_diff_grad": enc(gw)})
    return lines


# --------------------------------------------------------------------------

NOTES = [
    "Golden values of the focal family (issue 14): FL* (fvcore), asymmetric loss (timm), quality focal loss and "
    "varifocal loss (mmdet), from the peers' own code, plus Poly-1 as a float64 reference transcription (no peer "
    "library exists). Regenerate: build/golden-venv/bin/python Tests/golden/make_focal_family_golden.py "
    "(how the venv is made, and how mmdet is imported without mmcv, is in the script's docstring).",
    "Each case: 'logits' and 'targets' (flat, row-major, as the peer saw them after rounding to 'dtype'), 'params' "
    "(the peer's own argument names), 'loss' (per-element, unreduced: peer called with reduction='none'), 'grad' "
    "(torch autograd of loss.sum() with respect to the logits, in the input dtype). Floats are exact doubles; "
    "non-finite values are the strings 'nan', 'inf', '-inf'. 'compute_dtype' is the dtype the peer really computed "
    "in; 'loss_dtype' that of its output.",
    "'ref_max_rel_diff' is the largest relative difference of the case's loss/grad from the mpmath reference "
    "(focal_family_reference.py, issue 14's definitions, 60 digits), over the elements whose absolute difference "
    "exceeds the smallest normal number of the dtypes involved (pure underflow is not counted). 'fault_elements_loss' / 'fault_elements_grad' "
    "list the flat indices where the peer is further from the definition than its compute dtype allows "
    "(relative 1e-9 float64, 1e-5 float32, 1e-2 float16; inf/nan always): the PEER'S NUMERICAL FAULTS. There the "
    "library must match the reference (the definition), not the peer; elsewhere it should match the peer.",
    "timm AsymmetricLossMultiLabel (timm %s): forward casts x and y to float32 ('Compute in float32, low precision "
    "(fp16) probabilities underflow the eps clamp and produce NaN'), so float64 inputs are computed in float32: "
    "variant 'as_shipped'. Variant 'float64_cast_bypassed' runs the same module with torch.Tensor.float made the "
    "identity (nothing else changed), i.e. timm's formula in float64. Semantics read from the source: "
    "xs_neg = 1 - sigmoid(x) by subtraction; clip m: xs_neg = min(xs_neg + m, 1), so negatives use "
    "p_m = 1 - xs_neg = max(p - m, 0) (issue 14's margin); log(xs_pos.clamp(min=eps)) and "
    "log(xs_neg.clamp(min=eps)) with eps = 1e-8: a positive with x < log(1e-8) ~ -18.42 gets loss "
    "-log(1e-8) * (1-p)^gamma_pos ~ 18.42 (true ~|x|) and gradient 0; with clip = 0 a negative with 1 - p < 1e-8 "
    "(x > ~18.42 in float64, ~16.6 in float32 where 1 - p rounds to 0) likewise. The focusing weight is "
    "(1 - pt)^(gamma_pos y + gamma_neg (1 - y)) with pt = p y + xs_neg (1 - y) (for soft y a mixture, not in the "
    "paper; the reference follows it); if gamma_neg == gamma_pos == 0 the weight is skipped. The loss is -loss "
    "(non-negative). disable_torch_grad_focal_loss=True computes the weight under no_grad: the gradient is NOT the "
    "derivative of the loss ('grad_is_not_derivative': true; its differences are in "
    "'grad_differs_from_derivative_at', not in the faults). Reduction: the brief and older timm / the original ASL "
    "repository return -loss.sum(); this timm has reduction='batchmean' by default (sum / batch size, recorded "
    "once as 'loss_default_reduction' in the first case), also 'sum', 'mean', 'none'; the goldens use 'none'. "
    "timm also has smoothing, weight, pos_weight (not exercised).",
    "ASL#53 (Alibaba-MIIL/ASL): the 'float16_cast_bypassed' cases ('demonstrates') run timm's code without its "
    "float32 cast in float16, which is the original repository's code path: clamp(min=1e-8) rounds to 0 in fp16, "
    "sigmoid saturates to 0 or 1, log(0) = -inf and (1 - y) * -inf = NaN for saturated logits. timm as shipped "
    "(float16 input, 'as_shipped') is finite there because it computes in float32.",
    "fvcore sigmoid_focal_loss_star (fvcore %s): casts inputs and targets to float32 (inputs.float()), so "
    "'as_shipped' float64 cases are float32-accurate; 'float64_cast_bypassed' as for timm. It computes "
    "-logsigmoid(gamma * x * (2t - 1)) / gamma (stable log-sigmoid), times alpha_t when alpha >= 0 (default "
    "alpha = -1: no weighting; default gamma = 1, where FL* is BCE). It has NO beta: the paper's FL* is "
    "-log(sigmoid(gamma x_t + beta)) / gamma, so every fvcore case is beta = 0. For soft targets x_t = x (2t - 1) "
    "is fvcore's linear interpolation (not a mixture of the two hard losses). The jit variant "
    "(sigmoid_focal_loss_star_jit) is recorded for two parameter sets; 'equals_eager_bitwise' says whether it "
    "matches the eager function bit for bit.",
    "mmdet (%s, mmengine %s) quality_focal_loss(pred (N, C), (label (N,), score (N,)), beta): label in [0, C) is "
    "the positive class of the row (supervised by its score), label outside [0, C) (C = background) makes the "
    "row all negatives; every other entry has target 0. It returns the SUM OVER CLASSES per row (shape (N,)), "
    "stored as 'loss_row_sums'; per-element 'loss' comes from the same mmdet function called on the (N*C, 1) "
    "reshape (one class per row), and 'per_element_grad_equals_row_call' confirms the gradients agree. 'targets' "
    "is the dense (N*C) target y implied by (label, score). Math: BCEWithLogits(x, y) * |y - sigmoid(x)|^beta "
    "(negatives: sigmoid(x)^beta * BCEWithLogits(x, 0)); the BCE is stable but |y - sigmoid(x)| is formed by "
    "subtraction (for y = 1 at large x it is 1 - sigmoid(x), which rounds to 0 beyond x ~ 37 in float64). At "
    "beta < 1 and y == sigmoid(x) exactly (x = 0, y = 0.5) autograd of abs().pow(beta) gives a non-finite or "
    "zero gradient where the derivative does not exist (the reference has no value there: excluded from the "
    "comparison). quality_focal_loss_tensor_target(pred, dense target) is the same math with dense targets "
    "(pos = target != 0; also sums over classes); its cases record equality with quality_focal_loss "
    "('row_sums_equal_quality_focal_loss', 'grad_equals_quality_focal_loss'). 'qfl_tensor_target_multi_*' feed it "
    "one column at a time to get per-element values for soft targets with several positives per row. mmdet's "
    "'mean' divides the row sums by N (or avg_factor), not by N*C.",
    "mmdet varifocal_loss(pred, target, alpha=0.75, gamma=2.0, iou_weighted=True): target > 0: BCEWithLogits(x, q) "
    "* q (iou_weighted) or * 1; target <= 0: alpha * |sigmoid(x) - target|^gamma * BCEWithLogits(x, target) (for "
    "target 0 this is alpha sigmoid(x)^gamma BCE(x, 0), issue 14's definition; a negative target would use "
    "|p - target|). Elementwise, no class sum; default reduction 'mean' over all elements. The masks are "
    "(target > 0).float(), so float16 inputs give a float32 loss ('loss_dtype').",
    "Poly-1 is a reference transcription, not a peer: the Leng et al. (ICLR 2022) appendix formula "
    "poly1 = FL + epsilon * (1 - pt)^(gamma + 1) in float64 torch, with FL = alpha_t * BCE * (1 - pt)^gamma "
    "(alpha weights FL only, not the polynomial term, as in the paper's code) and pt formed as in torchvision "
    "(1 - pt by subtraction, so its saturated values carry that fault); softmax: -(1-p_y)^gamma log p_y + "
    "epsilon (1-p_y)^(gamma+1), log p_y from log_softmax, no class weights or label smoothing.",
    "FINDINGS (the faults the fault lists record; the library must be right there): "
    "(1) timm ASL: the eps = 1e-8 clamp caps a positive's loss at 18.42 for x < -18.42 (true |x|) with gradient ~0, "
    "and with clip = 0 a negative's for x > ~18.4 (float32: ~16.6); xs_neg = 1 - sigmoid(x) by subtraction loses "
    "the relative accuracy of small losses (e.g. x = +/-30 at gamma 2: 4e-3 relative in float64, 1 in float32); "
    "with 0 < gamma_neg < 1 and clip > 0 every negative below the margin (p <= clip) gets a NaN gradient "
    "(pow(0, gamma_neg) backward: 0 * inf) although its loss is 0; as shipped it computes in float32 even for "
    "float64 inputs. (2) torch's F.binary_cross_entropy_with_logits (used by mmdet and the Poly-1 transcription) "
    "evaluates log(1 + e^-|x|) without log1p for target 0 at x < 0: BCE(-30, 0) = 9.237e-14 instead of 9.358e-14 "
    "(1.3% relative; absolutely tiny; target 1 at x > 0 is exact), and its backward sigmoid(x) - t gives 0 instead "
    "of -sigmoid(-x) for t = 1 at x >= 37. (3) mmdet QFL: |y - sigmoid(x)| by subtraction (for y = 1: 0 beyond "
    "x ~ 37); at y == sigmoid(x) with beta < 1 (and beta = 1, where the derivative does not exist) autograd gives "
    "NaN (beta 0.5) or 0. (4) mmdet VFL: the negative term alpha |p - q|^gamma is evaluated for positives too and "
    "multiplied by a 0 mask, so with gamma < 1 a positive with sigmoid(x) == q gets a NaN gradient (x = 0, "
    "q = 0.5); negatives' sigmoid(x)^gamma BCE is otherwise accurate in float64 except through (2). "
    "(5) fvcore FL*: its formula is stable (logsigmoid); in float64 (cast bypassed) it agrees with the reference to "
    "1.4e-15; as shipped only float32 rounding and underflow. (6) Poly-1 transcription: 1 - pt by subtraction, up "
    "to 2% relative at |x| = 30 (tiny absolute values). (7) Original ASL code path in float16 "
    "('float16_cast_bypassed'): NaN/inf for |x| >= 10..20 (ASL#53).",
    "Cases named *_extreme use |x| up to 100 (float64) and *_float32 / *_float16 a grid up to |x| = 81 in that "
    "input dtype: they exist to record the peers' faults (see the fault lists).",
]


def main():
    t0 = time.time()
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "focal_family.json")
    n_self, worst_self = ref.self_test(verbose=True)
    asl_cases()
    fls_cases()
    qfl_cases()
    vfl_cases()
    poly1_cases()
    comparison = summarize()
    versions = {
        "timm": timm.__version__, "fvcore": md.version("fvcore"), "mmdet": md.version("mmdet"),
        "mmengine": md.version("mmengine"), "torch": torch.__version__, "numpy": np.__version__,
        "mpmath": mpmath.__version__, "python": sys.version.split()[0],
    }
    notes = list(NOTES)
    notes[3] = notes[3] % versions["timm"]
    notes[5] = notes[5] % versions["fvcore"]
    notes[6] = notes[6] % (versions["mmdet"], versions["mmengine"])
    faulty = [c["name"] for c in CASES if c["fault_elements_loss"] or c["fault_elements_grad"]]
    notes.append("cases with peer faults (fault_elements_loss or fault_elements_grad non-empty): " + ", ".join(faulty))
    notes.append("reference self-test: %d analytic derivatives checked against mpmath.diff, worst relative "
                 "difference %s" % (n_self, mpmath.nstr(worst_self, 3)))
    doc = {"generator": GENERATOR, "reference": "Tests/golden/focal_family_reference.py", "versions": versions,
           "notes": notes, "reference_comparison": comparison, "cases": CASES}
    text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    with open(out_path, "w") as f:
        f.write(text + "\n")
    print("wrote %s: %d cases, %d bytes, %.1f s" % (out_path, len(CASES), len(text) + 1, time.time() - t0))
    print("max relative difference from the mpmath reference (peer | variant | compute dtype | cases | n | loss | grad):")
    for row in comparison:
        print("  %-70s %-22s %-8s %-7s %3d  %-10s %-10s" % (
            row["peer"], row["variant"], row["compute_dtype"], row["cases"], row["count"],
            row["max_rel_diff_loss"] if isinstance(row["max_rel_diff_loss"], str) else "%.3g" % row["max_rel_diff_loss"],
            row["max_rel_diff_grad"] if isinstance(row["max_rel_diff_grad"], str) else "%.3g" % row["max_rel_diff_grad"]))
    print("cases with peer faults: %d of %d" % (len(faulty), len(CASES)))


if __name__ == "__main__":
    main()
