"""Per-call overhead of each Python backend on a tiny input: median of many timed calls.

    PYTHONPATH=bindings/python python3 tools/python_overhead.py

"public" is the package's function as a user calls it: on the extension (the default backend)
it takes the extension's plain-call path (checks and outputs in C); "front end" is the Python
front end (_frontend.py) over each backend, the path every call took before and every call
with a non-plain argument takes.
"""

import statistics
import timeit

import numpy as np

import focalloss
from focalloss import _ctypes_backend, _frontend

try:
    from focalloss import _ext
except ImportError:
    _ext = None

x = np.linspace(-3, 3, 8, dtype=np.float32)
t = (np.arange(8) % 2).astype(np.float32)
xs = np.linspace(-3, 3, 10, dtype=np.float32).reshape(2, 5)
ys = np.array([1, 3])


def report(label, name, call):
    runs = [timeit.timeit(call, number=2000) / 2000 for _ in range(15)]
    print("%-22s %-36s median %6.2f us" % (label, name, statistics.median(runs) * 1e6))


SIGMOID, SOFTMAX = "sigmoid 8 elements, sum, with grad", "softmax 2x5, mean, with grad"
report("public, " + focalloss.backend, SIGMOID, lambda: focalloss.sigmoid_focal_loss(x, t, reduction="sum", return_grad=True))
report("public, " + focalloss.backend, SOFTMAX, lambda: focalloss.softmax_focal_loss(xs, ys, return_grad=True))
for backend in (b for b in (_ext, _ctypes_backend) if b is not None):
    report("front end, " + backend.name, SIGMOID,
           lambda: _frontend.sigmoid_focal_loss(backend, x, t, reduction="sum", return_grad=True))
    report("front end, " + backend.name, SOFTMAX, lambda: _frontend.softmax_focal_loss(backend, xs, ys, return_grad=True))
