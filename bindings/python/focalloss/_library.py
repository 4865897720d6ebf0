"""Finding the library: the ctypes backend loads it by path.

Its file name is its SONAME, libfocalloss.so.MAJOR, the name the extension records as NEEDED.
Order: the FOCALLOSS_LIBRARY environment variable; the copy installed next to this package
(pip install, or `make` in a checkout); the checkout's build output (build/libfocalloss.so.MAJOR).
"""

import os

from ._version import VERSION_NUMBER

_HERE = os.path.dirname(os.path.abspath(__file__))
LIBRARY_NAME = "libfocalloss.so.%d" % (VERSION_NUMBER // 10000)


def candidates():
    """Paths to try, in order."""
    override = os.environ.get("FOCALLOSS_LIBRARY")
    if override:
        return [override]
    return [
        os.path.join(_HERE, LIBRARY_NAME),
        os.path.normpath(os.path.join(_HERE, "..", "..", "..", "build", LIBRARY_NAME)),
    ]


def find():
    """The first existing candidate, or ImportError naming every place looked at."""
    paths = candidates()
    for path in paths:
        if os.path.exists(path):
            return path
    raise ImportError(
        "focalloss: cannot find %s; looked at %s. Build it with `make` in the repository, "
        "install the package with `pip install ./bindings/python`, or set FOCALLOSS_LIBRARY."
        % (LIBRARY_NAME, ", ".join(paths))
    )
