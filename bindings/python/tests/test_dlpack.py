"""The numpy-level functions read any CPU object with __dlpack__ (a torch tensor, a jax array, a
numpy array behind a wrapper) over its memory, without a copy, and name the device of anything
else. Results are numpy arrays. Torch tensors are also checked in test_torch.py, jax arrays in
test_jax.py's suite; this file needs numpy only."""

import numpy as np
import pytest

import focalloss
from focalloss import _frontend


class Producer:
    """A DLPack producer over a numpy array, on a device of our choosing."""

    def __init__(self, array, device=(1, 0)):
        self.array, self.device = array, device
        self.exports = 0

    def __dlpack__(self, **kwargs):
        self.exports += 1
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.device


def _data(dtype=np.float32):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 3)).astype(dtype) * 3
    t = (rng.random((6, 3)) < 0.3).astype(dtype)
    return x, t


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_cpu_producer_equals_numpy(dtype):
    x, t = _data(dtype)
    loss, grad = focalloss.sigmoid_focal_loss(Producer(x), Producer(t), return_grad=True)
    ref_loss, ref_grad = focalloss.sigmoid_focal_loss(x, t, return_grad=True)
    assert type(loss) is np.ndarray and np.array_equal(loss, ref_loss) and np.array_equal(grad, ref_grad)
    y = np.array([0, 2, 1, 1, 0, 2])
    w = np.linspace(0.5, 1.5, 6).astype(dtype)
    assert focalloss.softmax_focal_loss(Producer(x), Producer(y), weights=Producer(w)) == \
        focalloss.softmax_focal_loss(x, y, weights=w)
    g, h = focalloss.sigmoid_focal_grad_hess(Producer(x.astype(np.float64)), Producer(t.astype(np.float64)))
    rg, rh = focalloss.sigmoid_focal_grad_hess(x.astype(np.float64), t.astype(np.float64))
    assert np.array_equal(g, rg) and np.array_equal(h, rh)


def test_no_copy():
    x, _ = _data()
    producer = Producer(x)
    view = _frontend._array("logits", producer)
    assert producer.exports == 1 and np.shares_memory(view, x)


@pytest.mark.parametrize("device, name", [((2, 0), "cuda:0"), ((10, 1), "rocm:1"), ((8, 0), "metal:0"),
                                          ((99, 3), "DLPack device type 99:3")])
def test_other_devices_are_named(device, name):
    x, t = _data()
    producer = Producer(x, device)
    with pytest.raises(ValueError, match="logits is on device %s; focalloss reads CPU memory only" % name):
        focalloss.sigmoid_focal_loss(producer, t)
    assert producer.exports == 0
    with pytest.raises(ValueError, match="targets is on device"):
        focalloss.sigmoid_focal_loss(x, Producer(t, device))


def test_unreadable_objects():
    class Broken(Producer):
        def __dlpack__(self, **kwargs):
            raise BufferError("no export today")

    x, t = _data()
    with pytest.raises(TypeError, match="numpy cannot read this Broken through DLPack: no export today"):
        focalloss.sigmoid_focal_loss(Broken(x), t)
    with pytest.raises(TypeError, match="logits must be a numpy.ndarray or a CPU array with __dlpack__, got list"):
        focalloss.sigmoid_focal_loss(x.tolist(), t)
    with pytest.raises(TypeError, match="logits must be a numpy.ndarray or a CPU array with __dlpack__, got float32"):
        focalloss.sigmoid_focal_loss(np.float32(1.0), t)
