"""Builds the focalloss Python package from the repository it sits in.

`pip install ./bindings/python` (run from the repository root, or any path to this folder)
builds libfocalloss.so with the repository's Makefile (Swift toolchain required), compiles the
CPython extension against it, and installs both inside the package, where the extension finds
the library through $ORIGIN and the ctypes backend finds it next to __init__.py. The library is
installed under its SONAME, libfocalloss.so.MAJOR: the name the extension records as NEEDED.
"""

import os
import re
import shutil
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
LIBRARY = os.path.join(ROOT, "build", "libfocalloss.so")


def soname():
    """libfocalloss.so.MAJOR, with MAJOR read from the header, as the Makefile does."""
    with open(os.path.join(ROOT, "include", "focalloss.h")) as header:
        return "libfocalloss.so." + re.search(r"^#define FOCAL_VERSION_MAJOR (\d+)$", header.read(), re.M).group(1)


class BuildWithLibrary(build_ext):
    """Builds the Swift library first, then the extension, then ships the library with it."""

    def run(self):
        if not os.path.exists(os.path.join(ROOT, "Package.swift")):
            raise RuntimeError("focalloss: %s is not inside the focalloss repository; build from a checkout" % HERE)
        subprocess.check_call(["make", "-C", ROOT, "build/libfocalloss.so"])
        super().run()
        targets = [os.path.join(self.build_lib, "focalloss")]
        if self.inplace:
            targets.append(os.path.join(HERE, "focalloss"))
        for target in targets:
            os.makedirs(target, exist_ok=True)
            shutil.copyfile(LIBRARY, os.path.join(target, soname()))


setup(
    ext_modules=[
        Extension(
            "focalloss._ext",
            sources=["focalloss/_ext.c"],
            include_dirs=[os.path.join(ROOT, "include")],
            library_dirs=[os.path.join(ROOT, "build")],
            libraries=["focalloss"],
            runtime_library_dirs=["$ORIGIN"],
            extra_compile_args=["-std=c99"],
        )
    ],
    cmdclass={"build_ext": BuildWithLibrary},
)
