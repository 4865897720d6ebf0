#!/usr/bin/env python3
"""The docs' figures (docs/figures/), every number computed by the library: `make figures`.

    make figures                         python tools/figures.py --out docs/figures, with matplotlib
                                         from build/figures-venv (installed from PyPI when missing)
    make figures FIGURES_PYTHON=PY       PY has matplotlib, torch and torchvision: figure 2 marks
                                         torchvision's NaN region (the committed figures are drawn so)
    make figures BENCH_RESULTS=build/bench-results.json
                                         after a new `make bench`: re-plot figure 4 from that run

1. paper-figure-1.png: the focal-loss paper's Figure 1 (Lin et al., 2017): the loss of an example
   against the probability p_t of its ground-truth class, 0 < p_t <= 1, for gamma in
   {0, 0.5, 1, 2, 5} (gamma = 0 is cross-entropy). Every point is a call of focal_sigmoid_f64
   through the Python package: target 1, alpha disabled, logit log(p_t) - log1p(-p_t) (+inf at
   p_t = 1, where the library gives the limit, 0).
2. gradient.png: d loss / d logit against the logit x (target 1) for the same gammas, from the
   library's fused gradient (float64, return_grad=True). Where torch and torchvision import, the
   logits at which the autograd gradient of torchvision.ops.sigmoid_focal_loss is NaN at
   gamma = 0.5 are shaded, in float32 and float64; otherwise the figure says it left them out.
3. demo.png: `make demo` (build/trainer, examples/trainer.c): the held-out mAP per epoch of the
   focal loss and cross-entropy, and where each one's final loss comes from (positives, negatives
   above and below the prior 0.01). The trainer is run and its output parsed; the plotted numbers
   are written to demo.json beside the figure.
4. bench.png: the throughput (Melem/s, fused loss + gradient) of focalloss, numpy and the PyTorch
   peers in one `make bench` run, read from bench.json (bench/peers.py --json). By default that
   is the committed docs/figures/bench.json. To refresh it, run
       make bench BENCH_PYTHON=/path/to/venv/bin/python     (a venv with torch, torchvision, kornia)
       make figures BENCH_RESULTS=build/bench-results.json
   --bench-results FILE copies FILE to OUT/bench.json and the bench-run.txt beside FILE (the run's
   whole output, which `make bench` writes next to it) to OUT/bench-run.txt, then plots it.

The *_data() functions return exactly the arrays that are plotted, so that tools/test_figures.py
(`make test-figures`) can compare them with direct library calls.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
import focalloss  # noqa: E402

GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)
FIGURES = ("paper-figure-1.png", "gradient.png", "demo.png", "bench.png")
COMMITTED = os.path.join(REPO, "docs", "figures")
TRAINER = os.path.join(REPO, "build", "trainer")
WIDTH, DPI = 7.0, 140
NAN_GAMMA = 0.5


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# ---- The data -------------------------------------------------------------------------------

def paper_figure_data():
    """(p_t, logits, {gamma: loss}): the loss of a positive example (target 1, alpha disabled) at
    probability p_t of its class, from focal_sigmoid_f64."""
    p = np.linspace(0.0, 1.0, 1001)[1:]
    with np.errstate(divide="ignore"):  # p = 1: the logit +inf
        logits = np.log(p) - np.log1p(-p)  # log(p / (1 - p)), with no cancellation near p = 1
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


def torchvision_nan_logits(logits, gamma=NAN_GAMMA):
    """{"float32"|"float64": the logits at which torchvision's autograd gradient (target 1,
    alpha disabled) is NaN}, or None when torch or torchvision does not import."""
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
    """{"epochs", "map": {loss: [mAP per epoch]}, "shares": {loss: [%, %, %]}, "share_parts"} from
    the output of build/trainer."""
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("epoch ")), None)
    if header is None:
        raise ValueError("no epoch table in the trainer's output")
    names = re.findall(r"(\S+) loss  held-out mAP", lines[header])
    epochs, maps = [], {name: [] for name in names}
    for line in lines[header + 1:]:
        cells = line.split()
        if len(cells) != 1 + 2 * len(names):
            break
        epochs.append(int(cells[0]))
        for k, name in enumerate(names):
            maps[name].append(float(cells[2 + 2 * k]))
    start = next((i for i, line in enumerate(lines) if line.startswith("where the final loss comes from")), None)
    if start is None:
        raise ValueError("no loss-share table in the trainer's output")
    parts = [p.strip() for p in re.split(r"\s{2,}", lines[start + 1].strip())]
    shares = {}
    for line in lines[start + 2:start + 2 + len(names)]:
        name, *values = line.split()
        shares[name] = [float(v.rstrip("%")) for v in values]
    if not epochs or set(shares) != set(names) or any(len(v) != len(parts) for v in shares.values()):
        raise ValueError("the trainer's output is not in the expected form")
    return {"epochs": epochs, "map": maps, "share_parts": parts, "shares": shares}


def demo_data(trainer_args=()):
    """parse_demo of a run of build/trainer, with the command and the run's setup lines."""
    run = subprocess.run([TRAINER, *trainer_args], capture_output=True, text=True, check=True)
    data = parse_demo(run.stdout)
    setup = [line for line in run.stdout.splitlines()[:3] if line]
    return {"command": " ".join(["build/trainer", *trainer_args]), "setup": setup, **data}


def bench_data(path):
    """The JSON that bench/peers.py --json writes."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---- The figures (each returns its matplotlib Figure, already saved to path) ------------------

def plot_paper_figure(path, plt):
    p, _, losses = paper_figure_data()
    fig, ax = plt.subplots(figsize=(WIDTH, 4.4))
    for g, loss in losses.items():
        ax.plot(p, loss, label="γ = %g%s" % (g, " (cross-entropy)" if g == 0 else ""), linewidth=1.8)
    ax.axvspan(0.5, 1.0, color="0.93", zorder=0)
    ax.text(0.75, 1.5, "well-classified\nexamples ($p_t > 0.5$)", ha="center", va="center", fontsize=10)
    ax.text(0.2, 4.0, "$\\mathrm{CE}(p_t) = -\\log(p_t)$\n$\\mathrm{FL}(p_t) = -(1 - p_t)^\\gamma \\log(p_t)$",
            fontsize=10.5, va="center")
    ax.set(xlim=(0, 1), ylim=(0, 5), xlabel="probability of ground truth class $p_t$", ylabel="loss")
    ax.set_title("Focal loss (Lin et al. 2017, Figure 1), every point from focal_sigmoid_f64", fontsize=11)
    ax.legend(loc="upper right", frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return fig


def plot_gradient(path, plt):
    logits, grads = gradient_figure_data()
    nan = torchvision_nan_logits(logits)
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH, 3.9))
    near = logits <= 10
    for g, grad in grads.items():
        left.plot(logits[near], grad[near], label="γ = %g" % g, linewidth=1.6)
        right.semilogy(logits, np.abs(grad), linewidth=1.6)
    left.set(xlabel="logit x (target 1)", ylabel="dℓ/dx")
    left.set_title("focal_sigmoid_f64's gradient", fontsize=10.5)
    left.legend(frameon=False, fontsize=8.5)
    right.set_yticks([10.0 ** -k for k in range(0, 175, 25)])
    right.set(xlim=(0, logits.max()), ylim=(1e-170, 10), xlabel="logit x (target 1)", ylabel="|dℓ/dx|")
    right.set_title("finite however confident", fontsize=10.5)
    if nan is None:
        fig.text(0.5, 0.01, "torchvision comparison left out: torch was not installed where this was drawn",
                 ha="center", va="bottom", fontsize=8.5, style="italic")
    else:
        for (dtype, xs), shade in zip(nan.items(), ("0.88", "0.72")):
            if len(xs):
                right.axvspan(xs.min(), logits.max(), color=shade, zorder=0, label="%s, x ≥ %.2f" % (dtype, xs.min()))
        right.legend(frameon=False, fontsize=7.5, loc="lower left",
                     title="torchvision γ = %g: gradient NaN" % NAN_GAMMA, title_fontsize=7.5)
    fig.tight_layout(rect=(0, 0.04 if nan is None else 0, 1, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return fig


def plot_demo(path, plt, data):
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH, 3.8), gridspec_kw={"width_ratios": [5, 4]})
    labels = {"focal": "focal (α 0.25, γ 2)", "ce": "cross-entropy"}
    for name, values in data["map"].items():
        left.plot(data["epochs"], values, marker="o", markersize=4, label=labels.get(name, name))
    left.set(xlabel="epoch", ylabel="held-out mAP")
    left.set_title("make demo: held-out mAP per epoch", fontsize=10.5)
    left.legend(frameon=False, fontsize=9)
    names = list(data["shares"])
    bottom = np.zeros(len(names))
    for i, part in enumerate(data["share_parts"]):
        values = np.array([data["shares"][name][i] for name in names])
        right.bar([labels.get(n, n).split(" (")[0] for n in names], values, bottom=bottom,
                  label=part.replace(">=", "≥"))
        bottom += values
    right.set(ylabel="share of the final loss (%)", ylim=(0, 100))
    right.set_title("where the final loss comes from\n(first training batch)", fontsize=10)
    right.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return fig


def plot_bench(path, plt, bench):
    from matplotlib import ticker

    ours = "focalloss %d threads" % bench["cpus"] if bench["cpus"] > 1 else "focalloss 1 thread"
    fast = "fast tier"
    labels = {ours: "focalloss (%d threads)" % bench["cpus"], fast: "focalloss, precision fast (%d threads)" % bench["cpus"],
              "numpy": "numpy (1 thread)", "torchvision": "torchvision (softmax: plain torch)"}
    # One group of bars per case: the exact tier's row (runs from before the tiers have no
    # "precision" and are all exact), with the fast tier's speed from its own row where there is one.
    tier = lambda r: r.get("precision", "exact")
    fast_rows = {(r["family"], r["dtype"], r["shape"]): r for r in bench["rows"] if tier(r) == "fast"}
    series = [ours] + ([fast] if fast_rows else []) + ["numpy", "torchvision", "torch.compile", "kornia"]

    def speed(row, name):
        if name != fast:
            return row["melem_per_s"].get(name)
        other = fast_rows.get((row["family"], row["dtype"], row["shape"]))
        return other["melem_per_s"][ours] if other else None

    fig, axes = plt.subplots(2, 1, figsize=(WIDTH, 7.0))
    width = 0.8 / len(series)
    for ax, family in zip(axes, ("sigmoid", "softmax")):
        rows = [r for r in bench["rows"] if r["family"] == family and tier(r) == "exact"]
        where = np.arange(len(rows))
        for i, name in enumerate(series):
            speeds = [speed(r, name) for r in rows]
            ax.bar(where + (i - (len(series) - 1) / 2) * width, [np.nan if s is None else s for s in speeds],
                   width, label=labels.get(name, name))
        ax.set_yscale("log")
        present = [speed(r, name) for r in rows for name in series if speed(r, name)]
        ax.set_ylim(10 ** np.floor(np.log10(min(present))), 10 ** np.ceil(np.log10(max(present))))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: "%g" % v))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xticks(where, ["%s\n%s" % (r["dtype"], r["shape"].replace(" ", "\n", 1)) for r in rows], fontsize=7.5)
        ax.set_ylabel("Melem/s (log scale)")
        ax.set_title("%s focal loss + gradient" % family, fontsize=10.5)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", ncol=3, frameon=False, fontsize=8.5)
    versions = ", ".join("%s %s" % (k, v) for k, v in bench["versions"].items() if v and k != "python")
    fig.text(0.5, 0.005, "make bench on %s: %s, %d CPUs\n%s; no bar: not installed"
             % (bench["date"][:10], bench["machine"], bench["cpus"], versions), ha="center", va="bottom", fontsize=7.5)
    fig.tight_layout(rect=(0, 0.04, 1, 0.93))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=COMMITTED, help="the folder to write (default docs/figures)")
    parser.add_argument("--trainer-args", default="", help="arguments for build/trainer, e.g. '--epochs 2'")
    parser.add_argument("--bench-results", default=os.path.join(COMMITTED, "bench.json"),
                        help="bench/peers.py --json output to plot (default the committed docs/figures/bench.json)")
    args = parser.parse_args(argv)
    plt = pyplot()
    os.makedirs(args.out, exist_ok=True)

    bench_json = os.path.join(args.out, "bench.json")
    if os.path.abspath(args.bench_results) != os.path.abspath(bench_json):
        shutil.copyfile(args.bench_results, bench_json)
        run = os.path.join(os.path.dirname(args.bench_results), "bench-run.txt")
        if os.path.exists(run):
            shutil.copyfile(run, os.path.join(args.out, "bench-run.txt"))
    demo = demo_data(args.trainer_args.split())
    with open(os.path.join(args.out, "demo.json"), "w", encoding="utf-8") as f:
        json.dump(demo, f, indent=1)
        f.write("\n")

    plot_paper_figure(os.path.join(args.out, FIGURES[0]), plt)
    plot_gradient(os.path.join(args.out, FIGURES[1]), plt)
    plot_demo(os.path.join(args.out, FIGURES[2]), plt, demo)
    plot_bench(os.path.join(args.out, FIGURES[3]), plt, bench_data(bench_json))
    for name in FIGURES:
        print("wrote", os.path.join(args.out, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
