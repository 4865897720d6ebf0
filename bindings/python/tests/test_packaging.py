"""`pip install ./bindings/python` into a fresh virtual environment, then use the package from
outside the checkout with both backends. Slow: it builds the package from scratch."""

import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

CHECK = """
import os, numpy as np, focalloss
from focalloss import _library
assert not focalloss.__file__.startswith(%(root)r), focalloss.__file__
assert focalloss.backend == os.environ["FOCALLOSS_BACKEND"], focalloss.backend
here = os.path.dirname(focalloss.__file__)
libraries = sorted(f for f in os.listdir(here) if f.startswith("libfocalloss"))
assert libraries == [_library.LIBRARY_NAME], libraries
x = np.array([[2.0, -1.0], [0.5, 3.0]], dtype=np.float32)
loss, grad = focalloss.softmax_focal_loss(x, np.array([0, 1]), return_grad=True)
assert loss.dtype == np.float32 and grad.shape == (2, 2)
print(focalloss.backend, focalloss.__version__, float(loss))
"""


@pytest.mark.slow
def test_pip_install_into_fresh_venv():
    with tempfile.TemporaryDirectory() as tmp:
        venv = os.path.join(tmp, "venv")
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        python = os.path.join(venv, "bin", "python")
        subprocess.check_call([python, "-m", "pip", "install", "-q", os.path.join(ROOT, "bindings", "python")],
                              cwd=tmp)
        for backend in ("extension", "ctypes"):
            env = dict(os.environ, FOCALLOSS_BACKEND=backend)
            env.pop("PYTHONPATH", None)
            env.pop("FOCALLOSS_LIBRARY", None)
            out = subprocess.check_output([python, "-c", CHECK % {"root": ROOT}], cwd=tmp, env=env, text=True)
            assert out.startswith(backend + " 0.1.0"), out
