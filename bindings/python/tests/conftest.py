"""Runs the suite against one backend, chosen with --backend (ctypes or extension).

The backend is fixed before focalloss is first imported, through FOCALLOSS_BACKEND, exactly as a
user would choose it; test_backend_is_live checks that it took.
"""

import os

from hypothesis import settings

# Locally, hypothesis explores new examples on every run; under CI (CI=true) the examples are
# derived from each test's name, so a run is reproducible.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_addoption(parser):
    parser.addoption("--backend", choices=["ctypes", "extension"], default=None,
                     help="the focalloss backend to test (default: the package's default)")


def pytest_configure(config):
    choice = config.getoption("--backend")
    if choice:
        os.environ["FOCALLOSS_BACKEND"] = choice


def pytest_report_header(config):
    import focalloss

    return "focalloss %s, backend %s" % (focalloss.__version__, focalloss.backend)
