#!/usr/bin/env python3
"""The docs' figures, every number computed by the library (`make figures`).

    python3 tools/figures.py [--out docs/figures] [--demo-output FILE] [--bench-run FILE]

1. paper-figure-1.png: the focal-loss paper's Figure 1 reproduced: the loss of an example against
   the probability p_t of its true class, for gamma in {0, 0.5, 1, 2, 5} (gamma = 0 is
   cross-entropy); every point is a call of focal_sigmoid_f64 (target 1, alpha disabled, logit
   log(p_t / (1 - p_t))).
2. gradient.png: d loss / d logit against the logit for the same gammas, from the library's fused
   gradient (float64). Where torch and torchvision import, the logits at which
   torchvision.ops.sigmoid_focal_loss's autograd gradient is NaN at gamma = 0.5 are marked
   (float32 and float64); otherwise the figure says that comparison was left out.
3. demo.png: the training demo's held-out mAP per epoch for the focal loss and cross-entropy, and
   where each loss's final value comes from (positives, negatives above and below the prior), from
   the output of build/trainer (`make demo`); --demo-output reads a saved output instead of running
   it. The numbers plotted are also written to demo.json.
4. bench.png: throughput of focalloss against numpy and the PyTorch peers, from the table of one
   `make bench` run (--bench-run, default docs/figures/bench-run.txt, which `make bench` refreshes
   through build/bench-run.txt: copy it there to re-plot a new run).

The *_data() functions return exactly the arrays that are plotted, so that a test
(tools/test_figures.py) can compare them with direct library calls.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
import focalloss  # noqa: E402

GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)
FIGURES = ("paper-figure-1.png", "gradient.png", "demo.png", "bench.png")
WIDTH = 7.0


def paper_figure_data():
    """(p_t, logits, {gamma: loss}): the loss of a positive example (target 1, alpha disabled)
    at probability p_t of its class, from focal_sigmoid_f64."""
    p = np.linspace(0.0, 1.0, 401)[1:-1]  # 0 < p_t < 1: finite logits
    logits = np.log(p) - np.log1p(-p)  # log(p / (1 - p)) without cancelling near p = 1
    targets = np.ones_like(p)
    return p, logits, {g: focalloss.sigmoid_focal_loss(logits, targets, alpha=None, gamma=g) for g in GAMMAS}


def gradient_figure_data():
    """(logits, {gamma: d loss / d logit}) of a positive example, from the fused gradient."""
    logits = np.linspace(-10.0, 60.0, 1401)
    targets = np.ones_like(logits)
    grads = {}
    for g in GAMMAS:
        _, grads[g] = focalloss.sigmoid_focal_loss(logits, targets, alpha=None, gamma=g, return_grad=True)
    return logits, grads


def torchvision_nan_logits(logits, gamma=0.5):
    """{dtype name: the logits at which torchvision's autograd gradient is NaN}, or None when
    torch or torchvision does not import."""
    try:
        import torch
        from torchvision.ops import sigmoid_focal_loss
    except ImportError:
        return None
    found = {}
    for dtype in (torch.float32, torch.float64):
        x = torch.tensor(logits, dtype=dtype, requires_grad=True)
        sigmoid_focal_loss(x, torch.ones_like(x), alpha=-1, gamma=gamma, reduction="sum").backward()
        found[str(dtype).replace("torch.", "")] = logits[torch.isnan(x.grad).numpy()]
    return found


def parse_demo(text):
    """The per-epoch mAP of both losses and the loss shares, from build/trainer's output."""
    epochs, focal, ce = [], [], []
    for line in text.splitlines():
        m = re.match(r"^\s*(\d+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*$", line)
        if m:
            epochs.append(int(m.group(1)))
            focal.append(float(m.group(3)))
            ce.append(float(m.group(5)))
    shares = {}
    for name in ("focal", "ce"):
        m = re.search(r"^\s*%s\s+([\d.]+)%%\s+([\d.]+)%%\s+([\d.]+)%%\s*$" % name, text, re.M)
        if m:
            shares[name] = [float(v) for v in m.groups()]
    if not epochs or len(shares) != 2:
        raise ValueError("not the output of build/trainer --loss both")
    return {"epochs": epochs, "map": {"focal": focal, "ce": ce}, "shares": shares}


def demo_data(demo_output=None, trainer_args=()):
    """parse_demo of a saved output, or of a run of build/trainer."""
    if demo_output:
        with open(demo_output, encoding="utf-8") as f:
            return parse_demo(f.read())
    trainer = os.path.join(REPO, "build", "trainer")
    run = subprocess.run([trainer, *trainer_args], capture_output=True, text=True, check=True)
    return parse_demo(run.stdout)


def parse_bench(text):
    """The rows of the table `make bench` prints: a list of dicts keyed by its column names."""
    rows, header = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None  # a table ends at its first line that is not a row
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif "shape" in header and not set(cells[0]) <= set("-: "):
            rows.append(dict(zip(header, cells)))
    if not rows:
        raise ValueError("no `make bench` table found")
    return rows


def ratio(cell):
    return float(cell.rstrip("x")) if cell not in ("-", "") else None


def plot_paper_figure(path, plt):
    p, _, losses = paper_figure_data()
    fig, ax = plt.subplots(figsize=(WIDTH, 4.6))
    for g, loss in losses.items():
        ax.plot(p, loss, label="γ = %g%s" % (g, " (cross-entropy)" if g == 0 else ""), linewidth=1.8)
    ax.axvspan(0.6, 1.0, color="0.92", zorder=0)
    ax.text(0.8, 1.2, "well-classified\nexamples", ha="center", va="center", fontsize=10)
    ax.set(xlim=(0, 1), ylim=(0, 5), xlabel="probability of the ground-truth class $p_t$", ylabel="loss",
           title="Focal loss against cross-entropy (Lin et al., Figure 1), from focal_sigmoid_f64")
    ax.legend(loc="upper right", frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def plot_gradient(path, plt):
    logits, grads = gradient_figure_data()
    nan = torchvision_nan_logits(logits)
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH * 1.3, 4.4))
    near = logits <= 10
    for g, grad in grads.items():
        left.plot(logits[near], grad[near], label="γ = %g" % g, linewidth=1.8)
        right.semilogy(logits, np.abs(grad), linewidth=1.8)
    left.set(xlabel="logit x (target 1)", ylabel="d loss / d x", title="the fused gradient (focal_sigmoid_f64)")
    left.legend(frameon=False, fontsize=9)
    if nan is None:
        note = "torchvision's NaN region left out:\ntorch is not installed where this was drawn"
    else:
        note = "shaded: torchvision.ops.sigmoid_focal_loss,\nγ = 0.5, autograd gradient NaN"
        for (dtype, xs), shade in zip(nan.items(), ("0.90", "0.78")):
            if len(xs):
                right.axvspan(xs.min(), logits.max(), color=shade, zorder=0,
                              label="torchvision NaN, %s (x ≥ %.1f)" % (dtype, xs.min()))
        right.legend(frameon=False, fontsize=8.5, loc="lower left")
    right.set(xlim=(0, logits.max()), xlabel="logit x (target 1)", ylabel="|d loss / d x| (log scale)",
              title="finite for every γ ≥ 0, however confident")
    right.text(0.97, 0.97, note, transform=right.transAxes, ha="right", va="top", fontsize=8.5)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def plot_demo(path, plt, data):
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH * 1.3, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    for name, label in (("focal", "focal loss (α 0.25, γ 2)"), ("ce", "cross-entropy")):
        left.plot(data["epochs"], data["map"][name], marker="o", label=label)
    left.set(xlabel="epoch", ylabel="held-out mAP", title="make demo: held-out mAP per epoch")
    left.legend(frameon=False)
    parts = ("positives", "negatives p ≥ 0.01", "negatives p < 0.01")
    bottom = np.zeros(2)
    for i, part in enumerate(parts):
        values = np.array([data["shares"]["focal"][i], data["shares"]["ce"][i]])
        right.bar(["focal", "cross-entropy"], values, bottom=bottom, label=part)
        bottom += values
    right.set(ylabel="share of the final loss (%)", ylim=(0, 100), title="where the final loss comes from")
    right.legend(frameon=False, fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def plot_bench(path, plt, rows):
    peers = [c for c in ("vs numpy", "vs torchvision", "vs torch.compile", "vs kornia") if c in rows[0]]
    large = [r for r in rows if not r["shape"].startswith("small")]
    labels = ["%s %s\n%s" % (r["family"], r["dtype"], r["shape"].split()[0]) for r in large]
    fig, ax = plt.subplots(figsize=(WIDTH * 1.3, 4.6))
    width = 0.8 / len(peers)
    for i, column in enumerate(peers):
        values = [ratio(r[column]) or 0.0 for r in large]
        ax.bar(np.arange(len(large)) + (i - (len(peers) - 1) / 2) * width, values, width, label=column[3:])
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(large)), labels, fontsize=8)
    ax.set(ylabel="focalloss speed / peer's speed (log scale)",
           title="make bench: loss + gradient, 2 threads, ratios from one run")
    ax.legend(frameon=False, fontsize=9, title="against")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "figures"))
    parser.add_argument("--demo-output", help="a saved output of build/trainer instead of a run")
    parser.add_argument("--trainer-args", default="", help="arguments for build/trainer, e.g. '--epochs 2'")
    parser.add_argument("--bench-run", default=os.path.join(REPO, "docs", "figures", "bench-run.txt"))
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.out, exist_ok=True)
    demo = demo_data(args.demo_output, args.trainer_args.split())
    with open(os.path.join(args.out, "demo.json"), "w", encoding="utf-8") as f:
        json.dump(demo, f, indent=1)
    with open(args.bench_run, encoding="utf-8") as f:
        bench = parse_bench(f.read())
    plot_paper_figure(os.path.join(args.out, FIGURES[0]), plt)
    plot_gradient(os.path.join(args.out, FIGURES[1]), plt)
    plot_demo(os.path.join(args.out, FIGURES[2]), plt, demo)
    plot_bench(os.path.join(args.out, FIGURES[3]), plt, bench)
    for name in FIGURES:
        print("wrote", os.path.join(args.out, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
