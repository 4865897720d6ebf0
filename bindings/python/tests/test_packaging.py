"""`pip install ./bindings/python` into a fresh virtual environment, then use the package from
outside the checkout with both backends; the sdist's contents. Slow: they build the package.
(The wheel and the sdist's own build from source: `make test-wheel`, `make test-sdist`.)"""

import os
import re
import subprocess
import sys
import tarfile
import tempfile

import pytest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def header_version():
    with open(os.path.join(ROOT, "include", "focalloss.h")) as header:
        text = header.read()
    return ".".join(re.search(r"^#define FOCAL_VERSION_%s (\d+)$" % part, text, re.M).group(1)
                    for part in ("MAJOR", "MINOR", "PATCH"))

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
            assert out.startswith("%s %s " % (backend, header_version())), out


@pytest.mark.slow
def test_sdist_carries_the_native_sources():
    """The sdist holds native/: what `make build/libfocalloss.so` reads, symbolic links as files
    (the AVX2 and AVX-512 kernel folders), so that it builds from source with Swift alone; its
    version is the header's; no test, library or extension."""
    version = header_version()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.check_call([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", tmp,
                               os.path.join(ROOT, "bindings", "python")], stdout=subprocess.DEVNULL)
        with tarfile.open(os.path.join(tmp, "focalloss-%s.tar.gz" % version)) as sdist:
            members = {m.name.split("/", 1)[1]: m for m in sdist.getmembers() if "/" in m.name}
            pkg_info = sdist.extractfile("focalloss-%s/PKG-INFO" % version).read().decode()
    assert "\nVersion: %s\n" % version in pkg_info
    swift = sorted(os.path.relpath(os.path.join(d, f), ROOT) for d, _, files in os.walk(os.path.join(ROOT, "Sources"))
                   for f in files if f.endswith(".swift"))
    native = ["Package.swift", "Makefile", "include/focalloss.h", "tools/exports.map"] + swift
    for name in native:
        assert "native/" + name in members and members["native/" + name].isfile(), name
    assert any(n.startswith("native/Tests/FocalLossCoreTests/") for n in members)
    for name in ("setup.py", "pyproject.toml", "focalloss/__init__.py", "focalloss/_ext.c", "focalloss/py.typed",
                 "focalloss/__init__.pyi", "focalloss/xgboost.pyi", "focalloss/lightgbm.pyi"):
        assert name in members, name
    assert not [n for n in members if n.startswith("tests/") or ".so" in n or members[n].issym()]
