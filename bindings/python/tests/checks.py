"""Comparison helpers shared by the tests."""

import numpy as np

#: float64 results: within 1e-12 of the float64 reference relative to the value (losses), or
#: 1e-10 of the sum of the magnitudes of the gradient's terms (gradients). float32: 2 ulps (the
#: exact tier's bound; the fast tier's, 16, is passed as `ulps`).
F64_LOSS, F64_GRAD, F32_ULPS = 1e-12, 1e-10, 2.0


def ulps32(actual, expected):
    """|actual - expected| in units of the last place of expected rounded to float32."""
    rounded = np.asarray(expected, dtype=np.float32)
    ulp = np.spacing(np.abs(rounded)).astype(np.float64)
    return np.abs(np.asarray(actual, dtype=np.float64) - expected) / ulp


def assert_loss_close(actual, expected, dtype, ulps=F32_ULPS):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), (actual, expected)
    ok = ~np.isnan(expected)
    if dtype == np.float64:
        err = np.abs(actual - expected)[ok]
        assert np.all(err <= F64_LOSS * np.abs(expected[ok]) + 1e-300), (actual, expected)
    else:
        assert np.all(ulps32(actual[ok], expected[ok]) <= ulps), (actual, expected)


def assert_grad_close(actual, expected, scale, dtype, ulps=F32_ULPS):
    actual = np.asarray(actual, dtype=np.float64)
    assert actual.shape == expected.shape
    err = np.abs(actual - expected)
    if dtype == np.float64:
        assert np.all(err <= F64_GRAD * scale + 1e-300), np.max(err / np.maximum(scale, 1e-300))
    else:
        ok = (ulps32(actual, expected) <= ulps) | (err <= 1e-7 * scale)
        assert np.all(ok), (actual[~ok], expected[~ok])


def framework(module, what):
    """The optional framework `module`, imported; without it the calling tests skip, except under
    CI (CI set in the environment), where they fail: `make test` installs every framework into
    build/test-venv, and a test that needs one never silently skips there. `what` names what goes
    untested."""
    import importlib
    import os

    import pytest

    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("%s is not installed, so %s goes untested: `make test` runs the Python suite on "
                        "build/test-venv, which has it" % (module, what), pytrace=False)
        pytest.skip("%s is not installed" % module, allow_module_level=True)
