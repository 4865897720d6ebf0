"""Per-call overhead of each Python backend on a tiny input: median of many timed calls.

    PYTHONPATH=bindings/python python3 tools/python_overhead.py
"""

import statistics
import timeit

import numpy as np

from focalloss import _ctypes_backend, _frontend

try:
    from focalloss import _ext
except ImportError:
    _ext = None

x = np.linspace(-3, 3, 8, dtype=np.float32)
t = (np.arange(8) % 2).astype(np.float32)
xs = np.linspace(-3, 3, 10, dtype=np.float32).reshape(2, 5)
ys = np.array([1, 3])

for backend in (b for b in (_ext, _ctypes_backend) if b is not None):
    for name, call in (
        ("sigmoid 8 elements, sum, with grad",
         lambda: _frontend.sigmoid_focal_loss(backend, x, t, reduction="sum", return_grad=True)),
        ("softmax 2x5, mean, with grad",
         lambda: _frontend.softmax_focal_loss(backend, xs, ys, return_grad=True)),
    ):
        runs = [timeit.timeit(call, number=2000) / 2000 for _ in range(15)]
        print("%-10s %-36s median %6.2f us" % (backend.name, name, statistics.median(runs) * 1e6))
