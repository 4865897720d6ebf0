"""Both backends refuse a libfocalloss.so of another version, naming both numbers."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

import focalloss
from focalloss import _library

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PACKAGE = os.path.dirname(focalloss.__file__)


def fake_library(directory):
    """A libfocalloss.so that claims version 999 and defines every other function of the header
    as an empty stub (the extension's loader resolves them by name; none is called)."""
    header = open(os.path.join(ROOT, "include", "focalloss.h")).read()
    names = sorted(set(re.findall(r"^[a-z_0-9 *]+[ *](focal_[a-z0-9_]+)\(", header, re.M)))
    assert "focal_version_number" in names and "focal_sigmoid_f32" in names
    source = os.path.join(directory, "fake.c")
    with open(source, "w") as f:
        f.write("#include <stdint.h>\nuint32_t focal_version_number(void) { return 999; }\n")
        f.write("".join("void %s(void) {}\n" % n for n in names if n != "focal_version_number"))
    library = os.path.join(directory, _library.LIBRARY_NAME)
    subprocess.check_call(["cc", "-shared", "-fPIC", source, "-o", library])
    return library


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler to build the fake library")
@pytest.mark.parametrize("backend", ["ctypes", "extension"])
def test_mismatched_library_is_refused(backend):
    with tempfile.TemporaryDirectory() as tmp:
        library = fake_library(tmp)
        package = os.path.join(tmp, "pkg", "focalloss")
        shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__", "libfocalloss.so*"))
        shutil.copyfile(library, os.path.join(package, _library.LIBRARY_NAME))
        env = dict(os.environ, FOCALLOSS_BACKEND=backend, PYTHONPATH=os.path.join(tmp, "pkg"))
        env.pop("FOCALLOSS_LIBRARY", None)
        run = subprocess.run([sys.executable, "-c", "import focalloss"], env=env, capture_output=True, text=True,
                             cwd=tmp)
        assert run.returncode != 0
        assert "ImportError" in run.stderr and "999" in run.stderr and "100" in run.stderr, run.stderr


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler to build the fake library")
def test_focalloss_library_variable_is_honoured():
    with tempfile.TemporaryDirectory() as tmp:
        library = fake_library(tmp)
        env = dict(os.environ, FOCALLOSS_BACKEND="ctypes", FOCALLOSS_LIBRARY=library)
        run = subprocess.run([sys.executable, "-c", "import focalloss"], env=env, capture_output=True, text=True)
        assert run.returncode != 0 and library in run.stderr and "999" in run.stderr, run.stderr
