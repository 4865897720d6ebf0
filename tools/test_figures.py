"""The figures' data come from the library, and `make figures` writes every figure (`make test-figures`).

Run with the figures' environment (matplotlib): build/figures-venv/bin/python -m pytest tools/test_figures.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import figures  # noqa: E402
import focalloss  # noqa: E402  (figures put the checkout's package on the path)

PNG = b"\x89PNG\r\n\x1a\n"


def test_paper_figure_points_are_library_calls():
    p, logits, losses = figures.paper_figure_data()
    assert set(losses) == set(figures.GAMMAS)
    assert np.allclose(1 / (1 + np.exp(-logits)), p, rtol=1e-13, atol=0)
    for gamma, loss in losses.items():
        direct = focalloss.sigmoid_focal_loss(logits, np.ones_like(logits), alpha=None, gamma=gamma)
        assert loss.dtype == np.float64 and np.array_equal(loss, direct)
        # And they are the paper's curve, -(1 - p)^gamma log p.
        assert np.allclose(loss, -((1 - p) ** gamma) * np.log(p), rtol=1e-9, atol=1e-300)


def test_gradient_figure_points_are_library_calls():
    logits, grads = figures.gradient_figure_data()
    for gamma, grad in grads.items():
        _, direct = focalloss.sigmoid_focal_loss(logits, np.ones_like(logits), alpha=None, gamma=gamma,
                                                 return_grad=True)
        assert np.array_equal(grad, direct) and np.isfinite(grad).all()
        # d/dx of -(1 - p)^gamma log p, with 1 - p = sigma(-x) and log p = -log1p(e^-x).
        p, m = 1 / (1 + np.exp(-logits)), 1 / (1 + np.exp(logits))
        expected = -(m ** gamma) * (m + gamma * p * np.log1p(np.exp(-logits)))
        assert np.allclose(grad, expected, rtol=1e-10, atol=1e-300)


def test_demo_and_bench_parsers_read_the_real_outputs():
    rows = figures.parse_bench(open(os.path.join(figures.REPO, "docs", "figures", "bench-run.txt")).read())
    assert {r["family"] for r in rows} == {"sigmoid", "softmax"} and all("vs numpy" in r for r in rows)
    committed = json.load(open(os.path.join(figures.REPO, "docs", "figures", "demo.json")))
    assert committed["epochs"] == list(range(1, len(committed["epochs"]) + 1))
    assert set(committed["shares"]) == {"focal", "ce"}


def test_make_figures_writes_every_file(tmp_path):
    # A short run of the real trainer (2 epochs of 2 batches) instead of the demo's 10 of 10.
    assert figures.main(["--out", str(tmp_path), "--trainer-args", "--epochs 2 --train-batches 2 --test-batches 1"]) == 0
    for name in figures.FIGURES:
        with open(tmp_path / name, "rb") as f:
            assert f.read(8) == PNG, name
    demo = json.load(open(tmp_path / "demo.json"))
    assert demo["epochs"] == [1, 2] and len(demo["map"]["focal"]) == 2
