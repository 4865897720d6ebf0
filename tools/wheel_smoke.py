"""Smoke test of an installed focalloss (a wheel or an sdist build) on a machine path without Swift.

    FOCALLOSS_BACKEND=ctypes|extension VENV/bin/python -I tools/wheel_smoke.py --checkout REPO [--require-torch]

Run by `make test-wheel` and `make test-sdist` from outside the checkout, with PATH and no
LD_LIBRARY_PATH of the system's only. Checks that the package imported is the installed one (not
REPO's), that no Swift toolchain is reachable and no Swift runtime library is loaded (the library
carries its own, linked statically), that the backend asked for is live, and a few numpy calls
against a float64 formula. Then focalloss.torch against torchvision, loss and gradient, where
torch is importable (always with --require-torch).
"""

import argparse
import os
import shutil
import sys

import numpy as np


def check(condition, message):
    if not condition:
        sys.exit("wheel_smoke: FAIL: " + message)


def sigmoid_reference(x, t, alpha, gamma):
    """torchvision's sigmoid focal loss in float64 for hard targets t, with 1 - p_t = sigmoid(-x_t)
    (not a subtraction, which loses digits where p_t is near 1)."""
    x_t = (2 * t - 1) * x
    bce = np.maximum(-x_t, 0) + np.log1p(np.exp(-np.abs(x_t)))
    return (alpha * t + (1 - alpha) * (1 - t)) * bce * (1 / (1 + np.exp(x_t))) ** gamma


def loaded_libraries():
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if ".so" in line.split()[-1]})


def check_environment(checkout):
    check(shutil.which("swift") is None and shutil.which("swiftc") is None,
          "a Swift toolchain is on PATH: %s" % os.environ.get("PATH"))
    check("LD_LIBRARY_PATH" not in os.environ, "LD_LIBRARY_PATH is set: %s" % os.environ.get("LD_LIBRARY_PATH"))
    import focalloss
    from focalloss import _library  # the extension backend does not import it

    here = os.path.dirname(os.path.abspath(focalloss.__file__))
    check(not here.startswith(os.path.abspath(checkout) + os.sep + "bindings"),
          "imported the checkout's package: %s" % here)
    check(here.startswith(os.path.abspath(sys.prefix) + os.sep), "focalloss is not installed in %s: %s"
          % (sys.prefix, here))
    check(focalloss.backend == os.environ.get("FOCALLOSS_BACKEND"), "backend %s, asked for %s"
          % (focalloss.backend, os.environ.get("FOCALLOSS_BACKEND")))
    libraries = sorted(f for f in os.listdir(here) if f.startswith("libfocalloss"))
    check(libraries == [_library.LIBRARY_NAME], "libraries in the package: %s" % libraries)
    for name in ("py.typed", "__init__.pyi", "xgboost.pyi", "lightgbm.pyi"):
        check(os.path.exists(os.path.join(here, name)), "%s missing from the installed package" % name)
    return focalloss, here


def check_numpy(focalloss, here):
    from focalloss import _library
    rng = np.random.default_rng(13)
    x = rng.normal(0, 3, (64, 5))
    t = (rng.random((64, 5)) < 0.2).astype(np.float64)
    loss = focalloss.sigmoid_focal_loss(x, t)
    check(np.allclose(loss, sigmoid_reference(x, t, 0.25, 2.0), rtol=1e-12, atol=0), "sigmoid_focal_loss (float64)")
    loss32, grad32 = focalloss.sigmoid_focal_loss(x.astype(np.float32), t.astype(np.float32), reduction="sum",
                                                  return_grad=True)
    check(loss32.dtype == np.float32 and grad32.shape == x.shape, "sigmoid_focal_loss (float32, return_grad)")
    check(abs(float(loss32) - sigmoid_reference(x, t, 0.25, 2.0).sum()) < 1e-5 * float(loss32), "float32 sum")

    labels = rng.integers(0, 5, 64)
    loss, grad = focalloss.softmax_focal_loss(x, labels, gamma=0.0, return_grad=True)
    log_p = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    check(abs(float(loss) + log_p[np.arange(64), labels].mean()) < 1e-13, "softmax_focal_loss at gamma 0 (cross-entropy)")
    one_hot = np.eye(5)[labels]
    check(np.allclose(grad, (np.exp(log_p) - one_hot) / 64, rtol=0, atol=1e-15), "softmax gradient at gamma 0")

    loss, stats = focalloss.sigmoid_focal_loss(x, t, reduction="mean", weights=np.ones_like(x), return_stats=True)
    check(isinstance(stats, focalloss.FocalStats) and stats.positives == t.sum(), "return_stats")
    grad, hess = focalloss.sigmoid_focal_grad_hess(x, t)
    check(grad.shape == hess.shape == x.shape, "sigmoid_focal_grad_hess")

    # The package's own libraries, any other libfocalloss, any Swift runtime library.
    loaded = [path for path in loaded_libraries()
              if path.startswith(here + os.sep) or "focalloss" in os.path.basename(path) or "swift" in path.lower()]
    expected = [os.path.join(here, _library.LIBRARY_NAME)]
    if focalloss.backend == "extension":
        expected = sorted(expected + [os.path.realpath(focalloss._ext.__file__)])
    check(loaded == expected, "libraries loaded: %s, expected %s" % (loaded, expected))


def check_torch(focalloss, required):
    try:
        import torch
        import torchvision
    except ImportError as error:
        check(not required, "torch and torchvision are required here: %s" % error)
        return "torch: not importable, skipped"
    import focalloss.torch

    generator = torch.Generator().manual_seed(13)
    x = torch.randn(32, 4, dtype=torch.float64, generator=generator, requires_grad=True)
    t = (torch.rand(32, 4, generator=generator) < 0.3).to(torch.float64)
    for reduction in ("none", "mean", "sum"):
        ours = focalloss.torch.sigmoid_focal_loss(x, t, alpha=0.25, gamma=2, reduction=reduction)
        (grad_ours,) = torch.autograd.grad(ours.sum(), x)
        theirs = torchvision.ops.sigmoid_focal_loss(x, t, alpha=0.25, gamma=2, reduction=reduction)
        (grad_theirs,) = torch.autograd.grad(theirs.sum(), x)
        check(torch.allclose(ours, theirs, rtol=1e-12, atol=0), "focalloss.torch loss, reduction=%s" % reduction)
        check(torch.allclose(grad_ours, grad_theirs, rtol=1e-10, atol=1e-300), "focalloss.torch gradient, %s" % reduction)
    return "torch %s: focalloss.torch.sigmoid_focal_loss = torchvision's, loss and gradient" % torch.__version__


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", required=True, help="the repository, whose package must not be the one imported")
    parser.add_argument("--require-torch", action="store_true", help="fail when torch or torchvision is missing")
    args = parser.parse_args()
    focalloss, here = check_environment(args.checkout)
    check_numpy(focalloss, here)
    torch_line = check_torch(focalloss, args.require_torch)
    print("wheel_smoke: focalloss %s, backend %s, from %s: numpy API ok; %s"
          % (focalloss.__version__, focalloss.backend, here, torch_line))


if __name__ == "__main__":
    main()
