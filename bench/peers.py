#!/usr/bin/env python3
"""The peers' side of `make bench`, and the one table.

Reads the lines of bench/bench.c (the shipped library through C, one line per case and precision
tier) from the file named on the command line, times the same cases (fused loss + gradient,
reduction sum; once per case, shared by its tiers' rows) with numpy and, when they import,
torchvision eager, torch.compile and kornia, the library's own torch module (focalloss.torch, eager
and under torch.compile: forward + backward, as the torch peers), and the small case through the
Python package `focalloss` (extension and ctypes backends), then prints one table. The rows of
the sigmoid from integer labels (sigmoid_labels) share the sigmoid's peer measurements, and the
rows of the _weighted functions (sigmoid_weighted, ...) those of their unweighted family. The
gradient-and-Hessian rows (sigmoid_grad_hess, softmax_grad_hess) are timed against numpy's
textbook gradient and Hessian only (the PyTorch peers have no Hessian to time), and the focal
family's rows (sigmoid_poly1, softmax_poly1, sigmoid_star, asymmetric, quality, varifocal) against
numpy's textbook version of each loss (torchvision and kornia have none of them).

    peers.py BENCH_OUTPUT [--json FILE]

--json also writes the measurements as JSON (speeds in Melem/s, not the table's ratios; null for
a peer that did not run), with the versions and the machine; `make bench` writes
build/bench-results.json, which tools/figures.py plots.

Only numpy is required. A missing peer is named once and its column shows "-".
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ALPHA, GAMMA = 0.25, 2.0
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
BUDGET_S = float(os.environ.get("BENCH_PEER_SECONDS", "1.5"))  # per peer and case, after warm-up
CPUS = os.cpu_count() or 1
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SHAPES = {  # name -> (batch, classes, inner), as bench.c
    "detection 131072x80": (131072, 80, 1),
    "segmentation 8x19x128x128": (8, 19, 128 * 128),
    "small 1024x10": (1024, 10, 1),
}


def median_seconds(fn):
    """Median seconds per call: one warm-up, then up to ROUNDS runs within the time budget
    (at least 3)."""
    fn()
    samples, start = [], time.perf_counter()
    while len(samples) < 3 or (len(samples) < ROUNDS and time.perf_counter() - start < BUDGET_S):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def make_inputs(family, dtype, shape):
    """The same distributions as bench.c: logits uniform in [-6, 4]; sigmoid targets 1 in 100
    positive; softmax targets uniform over the classes."""
    rng = np.random.default_rng(42)
    n, c, inner = shape
    dims = (n, c) if inner == 1 else (n, c, 128, 128)
    x = rng.uniform(-6, 4, size=dims).astype(dtype)
    if family == "sigmoid":
        t = (rng.random(dims) < 0.01).astype(dtype)
    else:
        t = rng.integers(0, c, size=(n,) + dims[2:], dtype=np.int64)
    return x, t


# ---- numpy: the reference, in the storage dtype -------------------------------------------

def numpy_sigmoid(x, t):
    """torchvision's definition; gradient dℓ/dx = α_t m^γ [(p − t) + γ·B·p(1 − p)(1 − 2t)/m]."""
    p = 1 / (1 + np.exp(-x))
    bce = np.logaddexp(0, x) - x * t
    m = p * (1 - t) + (1 - p) * t
    a = ALPHA * t + (1 - ALPHA) * (1 - t)
    focus = m * m
    loss = (a * bce * focus).sum()
    grad = a * (focus * (p - t) + GAMMA * bce * m * p * (1 - p) * (1 - 2 * t))
    return loss, grad


def numpy_softmax(x, y):
    """ℓ = −(1 − p_y)^γ log p_y; ∂ℓ/∂x_j = D·([j = y] − p_j) with D = f'(log p_y)."""
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    p = np.exp(logp)
    u = np.take_along_axis(logp, y[:, None], axis=1)
    m = -np.expm1(u)
    loss = -(m * m * u).sum()
    d = -m * m + GAMMA * np.exp(u) * u * m
    grad = -p * d
    np.put_along_axis(grad, y[:, None], np.take_along_axis(grad, y[:, None], axis=1) + d, axis=1)
    return loss, grad


def numpy_sigmoid_grad_hess(x, t):
    """The textbook hard-target gradient and Hessian a GBDT user writes: with p_t = σ(x_t),
    ∂ℓ/∂x_t = −α_t (1 − p_t)^γ [(1 − p_t) − γ p_t log p_t] and its derivative."""
    s = 2 * t - 1
    p = 1 / (1 + np.exp(-s * x))
    m = 1 - p
    b = -np.log(p)
    a = ALPHA * t + (1 - ALPHA) * (1 - t)
    grad = s * (-a * m ** GAMMA * (m + GAMMA * p * b))
    hess = a * m ** GAMMA * ((1 + 2 * GAMMA) * p * m + GAMMA * p * b * (GAMMA * p - m))
    return grad, hess


def numpy_softmax_grad_hess(x, y):
    """The diagonal Hessian of ℓ = −(1 − p_y)^γ log p_y, by the chain rule through log p_y."""
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    p = np.exp(logp)
    u = np.take_along_axis(logp, y[:, None], axis=1)
    big_p, m = np.exp(u), -np.expm1(u)
    b = -u
    d1 = -m ** GAMMA - GAMMA * big_p * b * m ** (GAMMA - 1)
    d2 = GAMMA * big_p * m ** (GAMMA - 2) * ((GAMMA - 1) * big_p * b - (b - 2) * m)
    onehot = np.zeros_like(x)
    np.put_along_axis(onehot, y[:, None], 1, axis=1)
    grad = d1 * (onehot - p)
    hess = d2 * (onehot - p) ** 2 - d1 * p * (1 - p)
    return grad, hess


# The focal family's rows (issue 14): numpy's textbook loss + gradient of each, the parameters of
# bench.c's rows (Poly-1 epsilon 1; FL* gamma 2, beta 1; ASL, QFL, VFL at their defaults; QFL and
# VFL positives soft). No PyTorch peer has them in torchvision or kornia: their columns show "-".
EPSILON = 1.0


def numpy_poly1_sigmoid(x, t):
    loss, grad = numpy_sigmoid(x, t)
    p = 1 / (1 + np.exp(-x))
    m = p * (1 - t) + (1 - p) * t
    return loss + (EPSILON * m ** (GAMMA + 1)).sum(), grad + EPSILON * (GAMMA + 1) * m ** GAMMA * p * (1 - p) * (1 - 2 * t)


def numpy_poly1_softmax(x, y):
    loss, grad = numpy_softmax(x, y)
    z = x - x.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    py = np.take_along_axis(p, y[:, None], axis=1)
    m = 1 - py
    k = -EPSILON * (GAMMA + 1) * m ** GAMMA * py
    extra = -p * k
    np.put_along_axis(extra, y[:, None], np.take_along_axis(extra, y[:, None], axis=1) + k, axis=1)
    return loss + (EPSILON * m ** (GAMMA + 1)).sum(), grad + extra


def numpy_sigmoid_star(x, t, gamma=2.0, beta=1.0):
    s = 2 * t - 1
    z = gamma * s * x + beta
    return (np.logaddexp(0, -z) / gamma).sum(), -s / (1 + np.exp(z))


def numpy_asymmetric(x, t, gp=1.0, gn=4.0, clip=0.05):
    p = 1 / (1 + np.exp(-x))
    neg = np.minimum(1 - p + clip, 1)
    pt = p * t + (1 - neg) * (1 - t)
    g = gp * t + gn * (1 - t)
    w = (1 - pt) ** g
    a = t * np.log(np.maximum(p, 1e-8)) + (1 - t) * np.log(np.maximum(neg, 1e-8))
    dneg = np.where(1 - p + clip < 1, -p * (1 - p), 0)
    dpt = t * p * (1 - p) - (1 - t) * dneg
    da = t * (1 - p) + (1 - t) * dneg / neg
    grad = -(g * (1 - pt) ** np.maximum(g - 1, 0) * -dpt * a + w * da)
    return -(w * a).sum(), grad


def numpy_quality(x, t, beta=2.0):
    p = 1 / (1 + np.exp(-x))
    bce = np.logaddexp(0, x) - x * t
    d = p - t
    return (np.abs(d) ** beta * bce).sum(), np.abs(d) ** beta * d + beta * np.abs(d) ** (beta - 1) * np.sign(d) * p * (1 - p) * bce


def numpy_varifocal(x, t, alpha=0.75, gamma=2.0):
    p = 1 / (1 + np.exp(-x))
    bce = np.logaddexp(0, x) - x * t
    pos = t > 0
    w = np.where(pos, t, alpha * p ** gamma)
    grad = np.where(pos, t * (p - t), alpha * p ** gamma * (p + gamma * (1 - p) * bce))
    return (w * bce).sum(), grad


FAMILY_REFERENCES = {"sigmoid_poly1": numpy_poly1_sigmoid, "softmax_poly1": numpy_poly1_softmax,
                     "sigmoid_star": numpy_sigmoid_star, "asymmetric": numpy_asymmetric, "quality": numpy_quality,
                     "varifocal": numpy_varifocal}


def family_inputs(name, x, t):
    """bench.c's family inputs: QFL and VFL positives soft (IoU scores in [0.3, 1))."""
    if name in ("quality", "varifocal"):
        rng = np.random.default_rng(7)
        t = np.where(t == 1, rng.uniform(0.3, 1.0, size=t.shape), 0).astype(t.dtype)
    return x, t


# ---- PyTorch peers ---------------------------------------------------------------------------

def torch_peers(notes):
    """name -> (family -> function(x, t) that computes the loss and runs backward), for the
    peers that import."""
    try:
        import torch
    except ImportError:
        notes.append("torch not importable: torchvision, torch.compile and kornia columns skipped")
        return {}, None
    torch.set_num_threads(CPUS)

    def softmax_eager(x, y):
        logp = torch.log_softmax(x, dim=1)
        u = logp.gather(1, y.unsqueeze(1))
        return -((-torch.expm1(u)) ** GAMMA * u).sum()

    peers = {}
    try:
        import torchvision.ops
        sig = lambda x, t: torchvision.ops.sigmoid_focal_loss(x, t, ALPHA, GAMMA, reduction="sum")
        peers["torchvision"] = {"sigmoid": sig, "softmax": softmax_eager}
        notes.append("torchvision column: torchvision.ops.sigmoid_focal_loss (sigmoid); plain torch "
                     "log_softmax/gather/expm1 (softmax, torchvision has none); eager, autograd backward")
    except ImportError:
        notes.append("torchvision not importable: its column skipped")
        sig = None
    try:
        compiled = {}
        if sig is not None:
            compiled["sigmoid"] = torch.compile(sig)
        compiled["softmax"] = torch.compile(softmax_eager)
        peers["torch.compile"] = compiled
        notes.append("torch.compile column: the torchvision column's functions under torch.compile "
                     "(compile time excluded)")
    except Exception as e:  # noqa: BLE001 (a missing compiler backend is any exception)
        notes.append(f"torch.compile unavailable ({type(e).__name__}): its column skipped")
    try:
        sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
        import focalloss.torch as fl
        module = {
            "sigmoid": lambda x, t: fl.sigmoid_focal_loss(x, t, ALPHA, GAMMA, reduction="sum"),
            "softmax": lambda x, y: fl.softmax_focal_loss(x, y, None, GAMMA, reduction="sum"),
        }
        peers["focalloss.torch"] = module
        peers["focalloss.torch compiled"] = {k: torch.compile(f) for k, f in module.items()}
        notes.append("focalloss.torch columns: the library's own torch module (exact tier, the gradient kept from "
                     "the forward pass), eager and under torch.compile: what a PyTorch user of focalloss sees")
    except ImportError as e:
        notes.append(f"focalloss.torch not importable ({e}): its columns skipped")
    try:
        import kornia.losses
        peers["kornia"] = {
            "sigmoid": lambda x, t: kornia.losses.binary_focal_loss_with_logits(
                x, t, alpha=ALPHA, gamma=GAMMA, reduction="sum"),
            "softmax": lambda x, y: kornia.losses.focal_loss(x, y, alpha=None, gamma=GAMMA, reduction="sum"),
        }
    except ImportError:
        notes.append("kornia not importable: its column skipped")
    return peers, torch


def time_torch(torch, fn, x, t):
    xt = torch.from_numpy(x).requires_grad_(True)
    tt = torch.from_numpy(t)

    def step():
        xt.grad = None
        fn(xt, tt).backward()
    try:
        return median_seconds(step)
    except Exception as e:  # noqa: BLE001 (a peer failing is reported, not fatal)
        print(f"# peer failed: {type(e).__name__}: {e}".splitlines()[0], file=sys.stderr)
        return None


# ---- The Python package (bindings/python): latency of the small case ------------------------

LATENCY_SNIPPET = r"""
import sys, time, statistics, numpy as np
sys.path.insert(0, sys.argv[1])
import focalloss
backend, family, dtype = sys.argv[2:5]
if focalloss.backend != backend:
    raise SystemExit(f"backend is {focalloss.backend}, not {backend}")
rng = np.random.default_rng(42)
x = rng.uniform(-6, 4, size=(1024, 10)).astype(dtype)
if family == "sigmoid":
    t = (rng.random((1024, 10)) < 0.01).astype(dtype)
    call = lambda: focalloss.sigmoid_focal_loss(x, t, reduction="sum", return_grad=True, num_threads=1)
else:
    y = rng.integers(0, 10, size=1024, dtype=np.int64)
    call = lambda: focalloss.softmax_focal_loss(x, y, reduction="sum", return_grad=True, num_threads=1)
for _ in range(200): call()
samples = []
for _ in range(7):
    t0 = time.perf_counter()
    for _ in range(500): call()
    samples.append((time.perf_counter() - t0) / 500)
print(statistics.median(samples) * 1e6)
"""


def python_latencies(notes):
    """Microseconds per small call through the `focalloss` package, per (backend, family,
    dtype). The package lives in bindings/python; until it exists these columns say "-"."""
    path = os.path.join(REPO, "bindings", "python")
    if not os.path.isdir(os.path.join(path, "focalloss")):
        notes.append("focalloss Python package not found (bindings/python/focalloss): "
                     "extension and ctypes latency columns are empty")
        return {}
    result = {}
    for backend in ("extension", "ctypes"):
        env = dict(os.environ, FOCALLOSS_BACKEND=backend)
        for family in ("sigmoid", "softmax"):
            for dtype in ("float32", "float64"):
                proc = subprocess.run([sys.executable, "-c", LATENCY_SNIPPET, path, backend, family, dtype],
                                      env=env, capture_output=True, text=True)
                if proc.returncode == 0:
                    result[backend, family, dtype] = float(proc.stdout.split()[-1])
                else:
                    last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
                    notes.append(f"focalloss {backend} backend, {family} {dtype} not measured: {last}")
    return result


# ---- The table -------------------------------------------------------------------------------

def read_library_lines(path):
    rows, header = [], []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                header.append(line.strip())
                continue
            fam, dt, precision, shape, elements, one, every, floor, latency = line.rstrip("\n").split("\t")
            rows.append(dict(family=fam, dtype=dt, precision=precision, shape=shape, elements=int(elements), one=float(one),
                             every=float(every), floor=float(floor), latency=float(latency)))
    return rows, header


def machine():
    """The CPU's model name (as /proc/cpuinfo gives it), or "unknown"."""
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown")
    except OSError:
        return "unknown"


def versions():
    """The versions of Python, numpy and the peers (None for one that does not import)."""
    found = {"python": sys.version.split()[0], "numpy": np.__version__}
    for name in ("torch", "torchvision", "kornia"):
        try:
            found[name] = __import__(name).__version__
        except ImportError:
            found[name] = None
    return found


def write_json(path, rows, header, notes, peer_names, latencies, versions):
    """The measurements of the table, as numbers (see the module's docstring)."""
    rounded = lambda values, digits: {k: None if v is None else round(v, digits) for k, v in values.items()}
    out = []
    for row in rows:
        small = row["shape"].startswith("small")
        speeds = {"focalloss 1 thread": row["one"], f"focalloss {CPUS} threads": row["every"],
                  "memory-stream floor": row["floor"], "numpy": row["numpy"]}
        speeds.update({name: row[name] for name in peer_names})
        us = {"C": row["latency"] if small else None}
        us.update({backend: latencies.get((backend, row["family"], row["dtype"]))
                   if small and row["precision"] == "exact" else None
                   for backend in ("extension", "ctypes")})
        out.append({"family": row["family"], "dtype": row["dtype"], "precision": row["precision"], "shape": row["shape"],
                    "elements": row["elements"], "melem_per_s": rounded(speeds, 1), "us_per_call": rounded(us, 2)})
    document = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(), "cpus": CPUS,
                "versions": versions, "library": header, "rows": out, "notes": notes}
    with open(path, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description="The peers' side of `make bench`, and the one table.")
    parser.add_argument("bench_output", help="the lines printed by bench/bench.c")
    parser.add_argument("--json", metavar="FILE", help="also write the measurements as JSON")
    args = parser.parse_args()
    rows, header = read_library_lines(args.bench_output)
    notes = []
    peers, torch = torch_peers(notes)
    latencies = python_latencies(notes)
    peer_names = ["torchvision", "torch.compile", "kornia", "focalloss.torch", "focalloss.torch compiled"]

    measured = {}  # (family, dtype, shape) -> the peers' speeds, once for every precision tier
    for row in rows:
        # The sigmoid from integer labels against the peers' sigmoid: what a peer's user does with
        # labels is make the one-hot targets and call it (the one-hot's cost not counted). The
        # _weighted rows against the peers' unweighted calls (torchvision has no weights).
        # The gradient-and-Hessian rows against numpy's textbook gradient and Hessian alone.
        grad_hess = row["family"].endswith("_grad_hess")
        relative = FAMILY_REFERENCES.get(row["family"])
        family = row["family"].removesuffix("_weighted").removesuffix("_grad_hess")
        family = "sigmoid" if family == "sigmoid_labels" else family
        if relative is not None:
            family = "softmax" if row["family"] == "softmax_poly1" else "sigmoid"
        case = row["family"] if relative is not None else family, row["dtype"], row["shape"], grad_hess
        if case not in measured:
            dtype = np.float32 if row["dtype"] == "float32" else np.float64
            x, t = make_inputs(family, dtype, SHAPES[row["shape"]])
            if relative is not None:
                x, t = family_inputs(row["family"], x, t)
                if x.ndim == 4 and family == "softmax":  # (N, C, H, W): the reference takes rows
                    x, t = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1]), t.reshape(-1)
            melem = row["elements"] * 1e-6
            if relative is not None:
                ref = relative
            elif grad_hess:
                ref = numpy_sigmoid_grad_hess if family == "sigmoid" else numpy_softmax_grad_hess
            else:
                ref = numpy_sigmoid if family == "sigmoid" else numpy_softmax
            speeds = {"numpy": melem / median_seconds(lambda: ref(x, t))}
            for name in peer_names:
                fn = None if grad_hess or relative is not None else peers.get(name, {}).get(family)
                seconds = time_torch(torch, fn, x, t) if fn is not None else None
                speeds[name] = melem / seconds if seconds else None
            measured[case] = speeds
            print(f"# measured {' '.join(map(str, case))}", file=sys.stderr, flush=True)
        row.update(measured[case])

    def ratio(ours, theirs):
        return f"{ours / theirs:.1f}x" if theirs else "-"

    columns = ["family", "dtype", "tier", "shape", "1 thread", f"{CPUS} threads", "1T/all", "vs floor",
               "vs numpy"] + [f"vs {n}" for n in peer_names] + ["C us/call", "ext us/call", "ctypes us/call"]
    table = []
    for row in rows:
        small = row["shape"].startswith("small")
        key = lambda backend: (backend, row["family"], row["dtype"])
        pyl = lambda backend: (f"{latencies[key(backend)]:.2f}" if small and row["precision"] == "exact"
                               and key(backend) in latencies else "-")
        table.append([row["family"], row["dtype"], row["precision"], row["shape"], f"{row['one']:.0f}", f"{row['every']:.0f}",
                      f"{100 * row['one'] / row['every']:.0f}%", f"{100 * row['every'] / row['floor']:.0f}%",
                      ratio(row["every"], row["numpy"])]
                     + [ratio(row["every"], row[n]) for n in peer_names]
                     + [f"{row['latency']:.2f}" if small else "-", pyl("extension"), pyl("ctypes")])

    found = versions()
    print(f"# {machine()}, {CPUS} CPUs; " + ", ".join(f"{k} {v or 'not installed'}" for k, v in found.items()))
    print("\n".join(header))
    print(f"# Melem/s of logits (fused loss + gradient, reduction sum, median); 'vs floor' = all-threads "
          f"figure / memory-stream floor; 'vs X' = our all-threads speed / X's (numpy single-threaded, "
          f"torch peers with {CPUS} threads); us/call: small case, 1 thread")
    widths = [max(len(str(r[i])) for r in table + [columns]) for i in range(len(columns))]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(columns))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print(line(r))
    for note in notes:
        print(f"# note: {note}")
    if args.json:
        write_json(args.json, rows, header, notes, peer_names, latencies, found)


if __name__ == "__main__":
    main()
