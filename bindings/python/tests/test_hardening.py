"""Threads, interrupts and junk arguments through the Python API.

- 16 threads, each with its own options, on shared read-only arrays, give bit for bit the
  results of the same calls made one at a time (extension: GIL released; ctypes).
- A KeyboardInterrupt delivered during a long call leaves no partial state: the call either
  returns a complete result or raises, and the next calls give the same numbers as before.
- Arguments of every wrong type and value raise TypeError or ValueError, never anything else.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import focalloss
from focalloss import _ctypes_backend, _frontend

try:
    from focalloss import _ext
except ImportError:  # pragma: no cover
    _ext = None

BACKENDS = [b for b in (_ctypes_backend, _ext) if b is not None]

rng = np.random.default_rng(2024)
X = rng.normal(0, 5, size=(64, 80, 8)).astype(np.float32)           # (N, C, inner) for softmax
Y = rng.integers(0, 80, size=(64, 8))
Y[::7, 3] = -100
XS = rng.normal(0, 6, size=(2000, 40)).astype(np.float64)            # sigmoid
TS = (rng.uniform(size=(2000, 40)) < 0.01).astype(np.float64)
WS = rng.uniform(0, 2, size=2000)                                    # per-anchor weights
W = rng.uniform(0, 2, size=(64, 8)).astype(np.float32)               # per-position weights


def job(backend, k):
    """One thread's calls, with options of its own."""
    sig = _frontend.sigmoid_focal_loss(backend, XS, TS, alpha=None if k % 3 == 0 else 0.05 * k, gamma=0.5 * k,
                                       reduction=("none", "sum", "mean")[k % 3], return_grad=True,
                                       num_threads=k % 3)
    soft = _frontend.softmax_focal_loss(backend, X, Y, alpha=None if k % 2 else np.linspace(0.1, 2, 80),
                                        gamma=0.25 * k, label_smoothing=0.02 * (k % 4),
                                        reduction=("mean", "none", "sum")[k % 3], return_grad=True, num_threads=k % 2)
    # The _weighted functions, their statistics written by each thread's own call.
    weighted = _frontend.sigmoid_focal_loss(backend, XS, TS, gamma=0.5 * k, reduction=("mean", "sum")[k % 2],
                                            return_grad=True, num_threads=k % 3, weights=WS * k, return_stats=True)
    weighted_softmax = _frontend.softmax_focal_loss(backend, X, Y, gamma=0.25 * k, return_grad=True,
                                                    num_threads=k % 2, weights=W if k % 2 else None,
                                                    return_stats=True)
    return [np.asarray(a).tobytes() for a in (*sig, *soft, *weighted, *weighted_softmax)]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_sixteen_threads_match_sequential(backend):
    expected = [job(backend, k) for k in range(16)]
    results = [None] * 16
    errors = []

    def run(k):
        try:
            for _ in range(3):
                out = job(backend, k)
                if out != expected[k]:
                    errors.append(k)
            results[k] = True
        except Exception as error:  # pragma: no cover - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(results)


@pytest.mark.skipif(_ext is None, reason="the extension is not built")
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted"])
def test_extension_releases_the_gil(weighted):
    """While one thread is inside a long native call, another thread keeps running Python."""
    big = rng.normal(0, 4, size=(4_000_000,)).astype(np.float32)
    targets = np.zeros_like(big)
    extra = {"weights": np.ones_like(big), "return_stats": True} if weighted else {}
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    t = threading.Thread(target=ticker)
    t.start()
    time.sleep(0.01)
    start = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - start < 0.3:
        _frontend.sigmoid_focal_loss(_ext, big, targets, return_grad=True, num_threads=1, **extra)
        calls += 1
    end = time.perf_counter()
    done.set()
    t.join()
    during = [x for x in ticks if start <= x <= end]
    # Holding the GIL for the whole call would leave the ticker silent for its duration.
    assert len(during) >= 5, (len(during), end - start)


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_keyboard_interrupt_leaves_no_partial_state(backend):
    big = rng.normal(0, 4, size=(3_000_000,)).astype(np.float64)
    targets = (rng.uniform(size=big.shape) < 0.3).astype(np.float64)
    reference = _frontend.sigmoid_focal_loss(backend, big, targets, reduction="sum", return_grad=True)
    timer = threading.Timer(0.005, lambda: os.kill(os.getpid(), signal.SIGINT))
    interrupted = False
    timer.start()
    try:
        for _ in range(2000):  # far longer than the timer: the interrupt lands mid-loop
            result = _frontend.sigmoid_focal_loss(backend, big, targets, reduction="sum", return_grad=True)
            assert result[0] == reference[0] and np.array_equal(result[1], reference[1])
    except KeyboardInterrupt:
        interrupted = True
    finally:
        timer.cancel()
    assert interrupted
    again = _frontend.sigmoid_focal_loss(backend, big, targets, reduction="sum", return_grad=True)
    assert again[0] == reference[0] and np.array_equal(again[1], reference[1])


junk = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5), st.binary(max_size=5), st.lists(st.floats(-3, 3), max_size=4),
    st.sampled_from([np.float16(1), np.int8(3), np.array([]), np.array([[1.0]]), np.array(["a"]), object()]),
    st.builds(lambda n, d: np.zeros(n, dtype=d), st.integers(0, 4),
              st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_, np.complex64])),
)


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(["sigmoid_focal_loss", "softmax_focal_loss"]),
       logits=junk, targets=junk, alpha=junk, gamma=junk, reduction=st.one_of(junk, st.sampled_from(["none", "sum"])),
       extra=st.dictionaries(st.sampled_from(["normalizer", "num_threads", "return_grad", "ignore_index",
                                              "label_smoothing"]), junk, max_size=2))
def test_junk_arguments_raise_type_or_value_error(which, logits, targets, alpha, gamma, reduction, extra):
    if which == "sigmoid_focal_loss":
        extra.pop("ignore_index", None)
        extra.pop("label_smoothing", None)
    try:
        getattr(focalloss, which)(logits, targets, alpha, gamma, reduction, **extra)
    except (TypeError, ValueError):
        pass
