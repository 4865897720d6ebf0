"""Every bad input raises TypeError or ValueError with a useful message, and writes nothing."""

import re

import numpy as np
import pytest

import focalloss
from bad_inputs import CASES


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises(case):
    _, function, args, kwargs, exception, pattern = case
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    with pytest.raises(exception) as info:
        getattr(focalloss, function)(*args, **kwargs)
    assert re.search(pattern, str(info.value)), str(info.value)
    for before, after in zip(copies, args):
        if isinstance(after, np.ndarray):
            assert np.array_equal(before, after, equal_nan=before.dtype.kind == "f")


def test_alpha_minus_one_and_none_disable_weighting():
    x = np.array([0.3, -2.0, 4.0])
    t = np.array([1.0, 0.0, 1.0])
    a = focalloss.sigmoid_focal_loss(x, t, alpha=None)
    b = focalloss.sigmoid_focal_loss(x, t, alpha=-1)
    assert np.array_equal(a, b)
