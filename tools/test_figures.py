"""The figures plot the library's own numbers, and `make figures` writes every figure
(`make test-figures`, part of `make test`; the figures are written to build/test-figures, never
over the committed docs/figures).

    build/figures-venv/bin/python -m pytest tools/test_figures.py
"""
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import figures  # noqa: E402
import focalloss  # noqa: E402  (figures put the checkout's package on the path)

PNG = b"\x89PNG\r\n\x1a\n"
OUT = os.path.join(figures.REPO, "build", "test-figures")


def texts(fig):
    import matplotlib.text

    return " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def test_paper_figure_points_are_library_calls():
    p, logits, losses = figures.paper_figure_data()
    assert set(losses) == set(figures.GAMMAS) and 0 < p.min() and p.max() == 1 and logits[-1] == np.inf
    assert np.allclose(1 / (1 + np.exp(-logits)), p, rtol=1e-13, atol=0)
    for gamma, loss in losses.items():
        direct = focalloss.sigmoid_focal_loss(logits, np.ones_like(logits), alpha=None, gamma=gamma)
        assert loss.dtype == np.float64 and np.array_equal(loss, direct) and loss[-1] == 0
        # And they are the paper's curve, -(1 - p)^gamma log p.
        assert np.allclose(loss, -((1 - p) ** gamma) * np.log(p), rtol=1e-9, atol=1e-300)


def test_gradient_figure_points_are_library_calls():
    logits, grads = figures.gradient_figure_data()
    assert set(grads) == set(figures.GAMMAS)
    for gamma, grad in grads.items():
        _, direct = focalloss.sigmoid_focal_loss(logits, np.ones_like(logits), alpha=None, gamma=gamma,
                                                 return_grad=True)
        assert grad.dtype == np.float64 and np.array_equal(grad, direct) and np.isfinite(grad).all()
        # d/dx of -(1 - p)^gamma log p, with 1 - p = sigma(-x) and log p = -log1p(e^-x).
        p, m = 1 / (1 + np.exp(-logits)), 1 / (1 + np.exp(logits))
        expected = -(m ** gamma) * (m + gamma * p * np.log1p(np.exp(-logits)))
        assert np.allclose(grad, expected, rtol=1e-10, atol=1e-300)


def test_torchvision_nan_region():
    logits, _ = figures.gradient_figure_data()
    nan = figures.torchvision_nan_logits(logits)
    if not (importlib.util.find_spec("torch") and importlib.util.find_spec("torchvision")):
        assert nan is None
        return
    # Where 1 - sigmoid(x) rounds to 0: from x ~ 16.6 (float32) and ~ 36.7 (float64) on, all NaN.
    for dtype, (low, high) in (("float32", (15, 18)), ("float64", (35, 38))):
        assert low < nan[dtype].min() < high
        assert np.array_equal(nan[dtype], logits[logits >= nan[dtype].min()])


def test_gradient_figure_says_when_torch_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    os.makedirs(OUT, exist_ok=True)
    fig = figures.plot_gradient(os.path.join(OUT, "gradient-without-torch.png"), figures.pyplot())
    assert "torchvision comparison left out: torch was not installed" in texts(fig)


def test_demo_parser_reads_the_trainer():
    short = figures.demo_data(["--epochs", "2", "--train-batches", "2", "--test-batches", "1"])
    assert short["epochs"] == [1, 2] and set(short["map"]) == {"focal", "ce"}
    assert all(len(v) == 2 and all(0 < m <= 1 for m in v) for v in short["map"].values())
    assert short["share_parts"] == ["positives", "negatives p >= 0.01", "negatives p < 0.01"]
    assert all(abs(sum(v) - 100) < 0.2 for v in short["shares"].values())
    committed = json.load(open(os.path.join(figures.COMMITTED, "demo.json")))
    assert committed["command"] == "build/trainer" and committed["epochs"] == list(range(1, 11))
    assert set(committed["map"]) == set(committed["shares"]) == {"focal", "ce"}


def test_committed_bench_results_are_a_full_run():
    bench = figures.bench_data(os.path.join(figures.COMMITTED, "bench.json"))
    assert {(r["family"], r["dtype"]) for r in bench["rows"]} == {
        (f, d) for f in ("sigmoid", "softmax") for d in ("float32", "float64")}
    assert all(bench["versions"][peer] for peer in ("numpy", "torch", "torchvision", "kornia"))
    for row in bench["rows"]:
        assert all(v is not None and v > 0 for v in row["melem_per_s"].values()), row


def test_bench_figure_adds_the_fast_tier_from_its_rows():
    bench = figures.bench_data(os.path.join(figures.COMMITTED, "bench.json"))
    ours = "focalloss %d threads" % bench["cpus"]
    exact = next(r for r in bench["rows"] if r["family"] == "sigmoid" and r["dtype"] == "float32")
    fast = dict(exact, precision="fast", melem_per_s=dict(exact["melem_per_s"], **{ours: 1234.5}))
    bench["rows"] = [dict(r, precision="exact") for r in bench["rows"]] + [fast]
    fig = figures.plot_bench(os.path.join(OUT, "bench-tiers.png"), figures.pyplot(), bench)
    heights = [bar.get_height() for ax in fig.axes for bar in ax.patches]
    assert 1234.5 in heights and "precision fast" in texts(fig)
    # One group per case: the fast row adds a bar, not a group.
    assert len(fig.axes[0].get_xticks()) == sum(r["family"] == "sigmoid" for r in bench["rows"]) - 1


def test_make_figures_writes_every_file():
    digest = lambda name: hashlib.sha256(open(os.path.join(figures.COMMITTED, name), "rb").read()).hexdigest()
    committed = {name: digest(name) for name in os.listdir(figures.COMMITTED)}
    # A short run of the real trainer (2 epochs of 2 batches) instead of the demo's 10 of 10; the
    # committed bench results go through --bench-results, the way a new run is brought in.
    assert figures.main(["--out", OUT, "--trainer-args", "--epochs 2 --train-batches 2 --test-batches 1",
                         "--bench-results", os.path.join(figures.COMMITTED, "bench.json")]) == 0
    for name in figures.FIGURES:
        with open(os.path.join(OUT, name), "rb") as f:
            assert f.read(8) == PNG and os.path.getsize(f.name) > 10_000, name
    assert json.load(open(os.path.join(OUT, "demo.json")))["epochs"] == [1, 2]
    for name in ("bench.json", "bench-run.txt"):
        assert open(os.path.join(OUT, name), "rb").read() == open(os.path.join(figures.COMMITTED, name), "rb").read()
    assert {name: digest(name) for name in os.listdir(figures.COMMITTED)} == committed
