"""Builds the focalloss Python package: the Swift library, the CPython extension against it, and both
shipped inside the package, where the extension finds the library through $ORIGIN and the ctypes
backend finds it next to __init__.py. The library is installed under its SONAME,
libfocalloss.so.MAJOR: the name the extension records as NEEDED.

The library is always built by the repository's Makefile (`make build/libfocalloss.so`: the
shipping flags, static Swift runtime, only focal_* exported), from one of two places:

- a checkout: the repository around this folder (`pip install ./bindings/python`, `make wheel`,
  `make sdist`);
- an sdist: native/ next to this file, which `sdist` below fills with what that build reads
  (NATIVE_FILES), so that `pip install focalloss-X.Y.Z.tar.gz` builds from source on any machine
  with a Swift 6.3 toolchain.

The version is the header's FOCAL_VERSION_MAJOR/MINOR/PATCH, the one place it is written
(pyproject.toml declares it dynamic); the build stops if focalloss/_version.py says otherwise.
"""

import os
import re
import shutil
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.normpath(os.path.join(HERE, "..", ".."))
SDIST_NATIVE = "native"

# What `make build/libfocalloss.so` reads (the Makefile's SOURCES and the Makefile itself), and the
# Swift tests' folder, which the manifest names (SwiftPM refuses a package whose target folder is
# missing). Symbolic links (the AVX2 and AVX-512 kernel folders) are copied as files.
NATIVE_FILES = ["Package.swift", "Makefile", "include", "Sources", "Tests/FocalLossCoreTests", "tools/exports.map"]


def native_root():
    """The folder holding Package.swift and the Makefile: the sdist's native/, else the checkout."""
    for root in (os.path.join(HERE, SDIST_NATIVE), CHECKOUT):
        if os.path.exists(os.path.join(root, "Package.swift")):
            return root
    return None


ROOT = native_root()


def header_version(root):
    """(MAJOR, MINOR, PATCH) from include/focalloss.h, read as the Makefile reads it."""
    with open(os.path.join(root, "include", "focalloss.h")) as header:
        text = header.read()
    return tuple(int(re.search(r"^#define FOCAL_VERSION_%s (\d+)$" % part, text, re.M).group(1))
                 for part in ("MAJOR", "MINOR", "PATCH"))


def package_version(root):
    """The header's version as "MAJOR.MINOR.PATCH", after checking that focalloss/_version.py agrees."""
    major, minor, patch = header_version(root)
    version = "%d.%d.%d" % (major, minor, patch)
    with open(os.path.join(HERE, "focalloss", "_version.py")) as source:
        text = source.read()
    written = re.search(r'^__version__ = "([^"]+)"$', text, re.M).group(1)
    number = int(re.search(r"^VERSION_NUMBER = (\d+)$", text, re.M).group(1))
    if (written, number) != (version, major * 10000 + minor * 100 + patch):
        raise RuntimeError("focalloss: focalloss/_version.py says %s (VERSION_NUMBER %d) but include/focalloss.h "
                           "says %s; update _version.py" % (written, number, version))
    return version


class BuildWithLibrary(build_ext):
    """Builds the Swift library first, then the extension, then ships the library with it."""

    def run(self):
        if ROOT is None:
            raise RuntimeError("focalloss: no native sources: %s is neither in the focalloss repository nor an "
                               "unpacked sdist (which has native/)" % HERE)
        if shutil.which(os.environ.get("SWIFT", "swift")) is None and not os.path.exists(
                os.path.join(ROOT, "build", "libfocalloss.so")):
            raise RuntimeError("focalloss: building from source needs a Swift 6.3 toolchain (`swift` on PATH) and "
                               "make; or install a binary wheel")
        subprocess.check_call(["make", "-C", ROOT, "build/libfocalloss.so"])
        super().run()
        library = os.path.join(ROOT, "build", "libfocalloss.so")
        soname = "libfocalloss.so.%d" % header_version(ROOT)[0]
        targets = [os.path.join(self.build_lib, "focalloss")]
        if self.inplace:
            targets.append(os.path.join(HERE, "focalloss"))
        for target in targets:
            os.makedirs(target, exist_ok=True)
            shutil.copyfile(library, os.path.join(target, soname))

    def build_extensions(self):
        # Some Pythons (pyenv's, for one) link extensions with an rpath to their own lib/ (their
        # LDSHARED); the extension needs $ORIGIN only, and a wheel must not carry this machine's paths.
        self.compiler.linker_so = [flag for flag in self.compiler.linker_so if not flag.startswith("-Wl,-rpath")]
        super().build_extensions()


class SdistWithNative(sdist):
    """The sdist with native/: the repository files the library's build reads."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        if not os.path.exists(os.path.join(CHECKOUT, "Package.swift")):
            raise RuntimeError("focalloss: make the sdist from a checkout (`make sdist`)")
        for name in NATIVE_FILES:
            source, target = os.path.join(CHECKOUT, name), os.path.join(base_dir, SDIST_NATIVE, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.isdir(source):
                shutil.copytree(source, target, symlinks=False, ignore=shutil.ignore_patterns("*.o", "__pycache__"))
            else:
                shutil.copyfile(source, target)


setup(
    version=package_version(ROOT) if ROOT else None,
    ext_modules=[
        Extension(
            "focalloss._ext",
            sources=["focalloss/_ext.c"],
            include_dirs=[os.path.join(ROOT or HERE, "include")],
            library_dirs=[os.path.join(ROOT or HERE, "build")],
            libraries=["focalloss"],
            runtime_library_dirs=["$ORIGIN"],
            extra_compile_args=["-std=c99"],
        )
    ],
    cmdclass={"build_ext": BuildWithLibrary, "sdist": SdistWithNative},
)
