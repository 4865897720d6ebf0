"""Against outputs of the real peers recorded in Tests/golden/peers.json (no peer needed).

Tolerances as in the Swift golden tests: float64 1e-9 relative (the peers are that good here,
except torchvision at |x| = 15..30 in float64, "extreme", where torch's own absolute error is a
few ulps of 1); float32 2e-4 relative with an absolute floor of 1e-6 of the case's largest value
(the peers' own float32 rounding); "saturated" cases, where the peer rounds p_t to 1, an
absolute tolerance. Where the peer's gradient is NaN but the mean is defined, ours is finite.
"""

import json
import os

import numpy as np
import pytest

import focalloss

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "..", "Tests", "golden", "peers.json")
CASES = json.load(open(GOLDEN))["cases"] if os.path.exists(GOLDEN) else []


def numbers(values):
    values = values if isinstance(values, list) else [values]
    return np.array([float(v) for v in values], dtype=np.float64)


def run(case):
    dtype = np.float32 if case["dtype"] == "float32" else np.float64
    x = np.array(case["logits"], dtype=np.float64).reshape(case["shape"]).astype(dtype)
    if case["family"] == "sigmoid":
        t = np.array(case["targets"], dtype=np.float64).reshape(case["shape"]).astype(dtype)
        return focalloss.sigmoid_focal_loss(x, t, alpha=case["alpha"], gamma=case["gamma"],
                                            reduction=case["reduction"], return_grad=True)
    y = np.array(case["targets"], dtype=np.int64).reshape(case["target_shape"])
    return focalloss.softmax_focal_loss(x, y, alpha=case["alpha"], gamma=case["gamma"], reduction=case["reduction"],
                                        ignore_index=case["ignore_index"], label_smoothing=case["label_smoothing"],
                                        return_grad=True)


@pytest.mark.skipif(not CASES, reason="Tests/golden/peers.json is not in this tree")
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_peer(case):
    loss, grad = run(case)
    peer_loss, peer_grad = numbers(case["loss"]), numbers(case["grad"])
    ours_loss = np.atleast_1d(np.asarray(loss, dtype=np.float64)).reshape(-1)
    ours_grad = np.asarray(grad, dtype=np.float64).reshape(-1)
    f32 = case["dtype"] == "float32"
    finite = np.concatenate([peer_loss, peer_grad])
    scale = np.max(np.abs(finite[np.isfinite(finite)]), initial=0.0)
    relative = 2e-4 if f32 else 1e-9
    if case.get("saturated"):
        floor = 1e-6 * max(scale, 1.0)
    elif f32:
        floor = 1e-6 * max(scale, 1e-3)
    elif case.get("extreme"):
        floor = 4e-16 * max(scale, 1.0)
    else:
        floor = 1e-300
    undefined_mean = bool(np.isnan(peer_loss).any())
    for ours, peer, what in ((ours_loss, peer_loss, "loss"), (ours_grad, peer_grad, "grad")):
        assert ours.shape == peer.shape, what
        nan = np.isnan(peer)
        if what == "grad" and not undefined_mean:
            assert np.all(np.isfinite(ours[nan])), "ours must be finite where the peer's gradient is NaN"
        else:
            assert np.all(np.isnan(ours[nan])), what
        ok = np.abs(ours[~nan] - peer[~nan]) <= np.maximum(relative * np.abs(peer[~nan]), floor)
        assert np.all(ok), (what, ours[~nan][~ok], peer[~nan][~ok])
    if "expected_contract_loss" in case:
        contract = numbers(case["expected_contract_loss"])[0]
        if np.isnan(contract):
            assert np.isnan(loss)
        else:
            assert abs(float(loss) - contract) <= max(relative * abs(contract), floor)
