"""focalloss.torch with the real PyTorch and torchvision, on this backend.

- Against the peers in float64: torchvision.ops.sigmoid_focal_loss (loss and gradient, every
  reduction, alpha on and off, hard and soft targets, several gamma), cross_entropy at gamma = 0
  (weight, ignore_index, label_smoothing, every reduction, (N, C, H, W), unbatched), and a torch
  float64 transcription of the softmax focal loss for gamma > 0.
- Against the numpy API: the same library call, so the results are equal bit for bit (float32,
  float16, bfloat16, weights, normalizer, labels, stats).
- Autograd: gradcheck in float64 (every reduction, both losses, the gradient kept or recomputed),
  non-contiguous and broadcast (stride 0) tensors, data that requires grad, double backward, what
  each mode keeps for the backward pass (saved_tensors_hooks), no_grad and inference_mode.
- torch.compile(fullgraph=True) of a model using each loss: no graph break, the eager values and
  gradients. A training loop (a small MLP, SGD) whose losses equal torchvision's run to rounding.
- Errors: a tensor on another device (meta here: this machine has no GPU), wrong dtypes, class
  probabilities as targets, a bad reduction; `import focalloss` never imports torch.
- The focal family (FL*, asymmetric, quality focal, varifocal) and Poly-1 (poly1_epsilon of the
  three focal functions and their modules): float64 torch transcriptions of their definitions
  (Poly-1 on torchvision's focal loss), the numpy API bit for bit in every dtype (and epsilon 0
  the focal loss bit for bit), gradcheck with normalizer tensors, torch.compile, the modules, the
  errors. timm, fvcore and mmdet are not installed here: tests/test_family.py compares the numpy
  API with their values (Tests/golden/focal_family.json).

torch and torchvision come from PyPI in build/test-venv. Without them these tests skip, except under
CI (CI set in the environment), where they fail: `make test` installs them.
"""

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

import checks
import focalloss


torch = checks.framework("torch", "focalloss.torch")
torchvision = checks.framework("torchvision", "focalloss.torch")
F = torch.nn.functional
fl = importlib.import_module("focalloss.torch")


@pytest.fixture(scope="module", autouse=True)
def _inductor_cache(tmp_path_factory):
    """torch.compile's on-disk cache in a fresh directory: a graph cached by an older build of
    the operators must not stand in for theirs."""
    old = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("inductor"))
    yield
    if old is None:
        del os.environ["TORCHINDUCTOR_CACHE_DIR"]
    else:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = old


@pytest.fixture(params=["eager", "custom-op"])
def both_paths(request, monkeypatch):
    """Eager calls go through a plain autograd.Function (fast) or, as under torch.compile, through
    the torch.library custom operators: the same implementation and autograd formula, each path
    tested."""
    monkeypatch.setattr(fl, "_EAGER_FAST_PATH", request.param == "eager")
    return request.param


def _data(shape, dtype=torch.float64, soft=False, seed=0, scale=3.0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, dtype=dtype, generator=generator) * scale
    if soft:
        t = torch.rand(shape, dtype=dtype, generator=generator)
    else:
        t = (torch.rand(shape, generator=generator) < 0.2).to(dtype)
    return x, t


def _grad(loss, x):
    (g,) = torch.autograd.grad(loss.sum(), x)
    return g


def _close(a, b, rtol=1e-12, atol=1e-15):
    torch.testing.assert_close(a, b, rtol=rtol, atol=atol, equal_nan=True)


# ---- Sigmoid against torchvision ----------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("alpha", [0.25, -1, 0.9])
@pytest.mark.parametrize("gamma", [0, 0.5, 2, 5])
@pytest.mark.parametrize("soft", [False, True])
def test_sigmoid_matches_torchvision(reduction, alpha, gamma, soft):
    x, t = _data((40, 7), soft=soft, seed=int(gamma * 10) + int(soft))
    x.requires_grad_()
    ours = fl.sigmoid_focal_loss(x, t, alpha, gamma, reduction)
    theirs = torchvision.ops.sigmoid_focal_loss(x, t, alpha, gamma, reduction)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    _close(ours, theirs)
    _close(_grad(ours, x), _grad(theirs, x), rtol=1e-11, atol=1e-15)


def test_sigmoid_defaults_are_torchvisions():
    x, t = _data((5, 3, 4))
    _close(fl.sigmoid_focal_loss(x, t), torchvision.ops.sigmoid_focal_loss(x, t))
    _close(fl.SigmoidFocalLoss()(x, t), torchvision.ops.sigmoid_focal_loss(x, t))
    assert fl.sigmoid_focal_loss(x, t, alpha=None).equal(fl.sigmoid_focal_loss(x, t, alpha=-1))


def test_sigmoid_finite_where_torchvision_is_not():
    """At gamma < 1 torchvision's gradient is NaN where p_t rounds to 1; ours is finite (and the
    limit, 0, is approached smoothly)."""
    x = torch.tensor([-60.0, 40.0, 800.0], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)
    theirs = _grad(torchvision.ops.sigmoid_focal_loss(x, t, gamma=0.5), x)
    assert torch.isnan(theirs).any()
    ours = _grad(fl.sigmoid_focal_loss(x, t, gamma=0.5), x)
    assert torch.isfinite(ours).all()
    assert (ours.abs() < 1e-8).all()


# ---- Softmax against cross_entropy and a float64 transcription ---------------------------------

def _softmax_reference(x, y, alpha, gamma, reduction, ignore_index, smoothing, weights=None):
    """-sum_c a_c q_c (1 - p_c)^gamma log p_c in float64 torch ops; mean over sum(w * a[y])."""
    classes = x.shape[1]
    logp = F.log_softmax(x, dim=1)
    p = logp.exp()
    kept = y != ignore_index
    safe = torch.where(kept, y, torch.zeros_like(y))
    onehot = F.one_hot(safe, classes).movedim(-1, 1).to(x.dtype)
    q = (1 - smoothing) * onehot + smoothing / classes
    a = torch.ones(classes, dtype=x.dtype) if alpha is None else torch.as_tensor(alpha, dtype=x.dtype)
    a = a.reshape((1, classes) + (1,) * (x.dim() - 2))
    loss = -(a * q * (1 - p) ** gamma * logp).sum(1)
    w = torch.ones_like(loss) if weights is None else weights
    loss = torch.where(kept, loss * w, torch.zeros_like(loss))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    a_y = a.reshape(-1)[safe]
    return loss.sum() / torch.where(kept, a_y * w, torch.zeros_like(loss)).sum()


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("shape", [(30, 5), (3, 4, 5, 6), (1, 3)])
@pytest.mark.parametrize("weight", [None, "alpha"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_softmax_gamma_0_is_cross_entropy(reduction, shape, weight, smoothing):
    generator = torch.Generator().manual_seed(sum(shape))
    x = (torch.randn(shape, dtype=torch.float64, generator=generator) * 4).requires_grad_()
    target_shape = shape[:1] + shape[2:]
    y = torch.randint(0, shape[1], target_shape, generator=generator)
    y.view(-1)[0] = -100
    alpha = None if weight is None else torch.linspace(0.5, 2.0, shape[1], dtype=torch.float64)
    ours = fl.softmax_focal_loss(x, y, alpha, 0.0, reduction, label_smoothing=smoothing)
    theirs = F.cross_entropy(x, y, weight=alpha, reduction=reduction, label_smoothing=smoothing)
    assert ours.shape == theirs.shape
    _close(ours, theirs, rtol=1e-12, atol=1e-14)
    _close(_grad(ours, x), _grad(theirs, x), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("gamma", [0.5, 2.0, 4.5])
@pytest.mark.usefixtures("both_paths")
def test_softmax_focal_matches_reference(reduction, gamma):
    generator = torch.Generator().manual_seed(int(gamma * 10))
    x = (torch.randn(6, 4, 3, 2, dtype=torch.float64, generator=generator) * 3).requires_grad_()
    y = torch.randint(0, 4, (6, 3, 2), generator=generator)
    y[0, 0, 0] = 255
    w = torch.rand(6, 3, 2, dtype=torch.float64, generator=generator)
    alpha = [0.25, 1.0, 2.0, 0.5]
    ours = fl.softmax_focal_loss(x, y, alpha, gamma, reduction, ignore_index=255, label_smoothing=0.1, weights=w)
    theirs = _softmax_reference(x, y, alpha, gamma, reduction, 255, 0.1, w)
    _close(ours, theirs, rtol=1e-12, atol=1e-15)
    _close(_grad(ours, x), _grad(theirs, x), rtol=1e-10, atol=1e-15)


@pytest.mark.usefixtures("both_paths")
def test_softmax_unbatched_and_module():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor(2)
    for reduction in ("none", "mean", "sum"):
        ours = fl.softmax_focal_loss(x, y, gamma=0.0, reduction=reduction)
        theirs = F.cross_entropy(x, y, reduction=reduction)
        assert ours.shape == theirs.shape == ()
        _close(ours, theirs)
        _close(_grad(ours, x), _grad(theirs, x))
    alpha = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    module = fl.FocalLoss(alpha, gamma=0.0, ignore_index=7, label_smoothing=0.05)
    assert "alpha" in module.state_dict()
    xb = torch.randn(9, 3, dtype=torch.float64)
    yb = torch.tensor([0, 1, 2, 7, 1, 0, 2, 2, 1])
    _close(module(xb, yb), torch.nn.CrossEntropyLoss(alpha, ignore_index=7, label_smoothing=0.05)(xb, yb))


# ---- Equal to the numpy API (the same library call) --------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_equal_to_numpy_api(dtype):
    x, t = _data((16, 5, 3), dtype=torch.float32, seed=3)
    x, t = x.to(dtype), t.to(dtype)
    xn, tn = fl._numpy(x), fl._numpy(t)
    x.requires_grad_()
    loss = fl.sigmoid_focal_loss(x, t, reduction="sum", gamma=1.5)
    loss.backward()
    ref_loss, ref_grad = focalloss.sigmoid_focal_loss(xn, tn, 0.25, 1.5, "sum", return_grad=True)
    assert loss.dtype == dtype and x.grad.dtype == dtype
    assert np.array_equal(fl._numpy(loss), np.asarray(ref_loss)) and np.array_equal(fl._numpy(x.grad), ref_grad)
    y = torch.randint(0, 5, (16, 3))
    x.grad = None
    loss = fl.softmax_focal_loss(x, y, precision="fast")
    loss.backward()
    ref_loss, ref_grad = focalloss.softmax_focal_loss(xn, fl._numpy(y), precision="fast", return_grad=True)
    assert np.array_equal(fl._numpy(loss), np.asarray(ref_loss)) and np.array_equal(fl._numpy(x.grad), ref_grad)


def test_inputs_read_without_copy():
    x, t = _data((8, 4), dtype=torch.float32)
    assert fl._numpy(x).__array_interface__["data"][0] == x.data_ptr()
    b = x.to(torch.bfloat16)
    assert fl._numpy(b).__array_interface__["data"][0] == b.data_ptr()


@pytest.mark.usefixtures("both_paths")
def test_weights_normalizer_labels_stats():
    x, t = _data((12, 4, 5), seed=5)
    w = torch.rand(12, 5, dtype=torch.float64)
    xn, tn, wn = fl._numpy(x), fl._numpy(t), fl._numpy(w)
    loss, stats = fl.sigmoid_focal_loss(x, t, reduction="mean", weights=w, normalizer=torch.tensor(7.0),
                                        return_stats=True)
    ref_loss, ref_stats = focalloss.sigmoid_focal_loss(xn, tn, reduction="mean", weights=wn, normalizer=7.0,
                                                       return_stats=True)
    assert loss.item() == ref_loss and stats == ref_stats and stats.divisor == 7.0
    labels = torch.randint(0, 5, (12, 5))
    labels[0, 0] = -100
    ours = fl.sigmoid_focal_loss_from_labels(x, labels, reduction="sum")
    assert ours.item() == focalloss.sigmoid_focal_loss_from_labels(xn, fl._numpy(labels), reduction="sum")
    module = fl.SigmoidFocalLoss(gamma=1.0, reduction="mean", normalizer=3.0)
    assert module(x, t).item() == focalloss.sigmoid_focal_loss(xn, tn, gamma=1.0, reduction="mean", normalizer=3.0)
    assert module(x, t, normalizer=5).item() == focalloss.sigmoid_focal_loss(xn, tn, gamma=1.0, reduction="mean",
                                                                            normalizer=5.0)


# ---- Autograd ----------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("recompute", [False, True])
@pytest.mark.usefixtures("both_paths")
def test_gradcheck(reduction, recompute):
    x, t = _data((6, 3, 2), soft=True, scale=2.0)
    x.requires_grad_()
    w = torch.rand(6, 3, 2, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: fl.sigmoid_focal_loss(x, t, 0.3, 1.5, reduction, weights=w, recompute=recompute), (x,))
    y = torch.tensor([[0, 1], [2, -100], [1, 1], [0, 2], [2, 2], [1, 0]])
    assert torch.autograd.gradcheck(
        lambda x: fl.softmax_focal_loss(x, y, [0.5, 1.0, 2.0], 2.0, reduction, label_smoothing=0.1,
                                        recompute=recompute), (x,))
    labels = torch.tensor([[0, 3], [2, -100], [1, 1], [0, 2], [3, 2], [1, 0]])
    assert torch.autograd.gradcheck(
        lambda x: fl.sigmoid_focal_loss_from_labels(x, labels, reduction=reduction, recompute=recompute), (x,))


@pytest.mark.usefixtures("both_paths")
def test_strided_inputs():
    """Non-contiguous (a transpose, a step) and broadcast (stride 0) tensors: their values, as
    torchvision reads them."""
    base, t = _data((20, 9))
    x = base.t().contiguous().t()[:, ::2].requires_grad_()   # non-contiguous leaf
    assert not x.is_contiguous()
    tt = t[:, ::2]
    target_row = torch.tensor([[0.0, 1.0, 0.0, 0.5, 1.0]], dtype=torch.float64).expand(20, 5)  # stride 0
    for targets in (tt, target_row):
        ours = fl.sigmoid_focal_loss(x, targets, reduction="mean")
        theirs = torchvision.ops.sigmoid_focal_loss(x, targets, reduction="mean")
        _close(ours, theirs)
        _close(_grad(ours, x), _grad(theirs, x))
    row = torch.randn(1, 5, dtype=torch.float64, requires_grad=True)   # broadcast logits: stride 0
    ours = fl.sigmoid_focal_loss(row.expand(20, 5), tt, reduction="sum")
    theirs = torchvision.ops.sigmoid_focal_loss(row.expand(20, 5), tt, reduction="sum")
    _close(ours, theirs)
    _close(_grad(ours, row), _grad(theirs, row))
    upstream = torch.randn(5, 20, dtype=torch.float64).t()   # a non-contiguous upstream gradient
    (g,) = torch.autograd.grad(fl.sigmoid_focal_loss(x, tt), x, upstream)
    (h,) = torch.autograd.grad(torchvision.ops.sigmoid_focal_loss(x, tt), x, upstream)
    _close(g, h)


@pytest.mark.usefixtures("both_paths")
def test_data_requiring_grad_raises_not_zero():
    x, t = _data((4, 3))
    x.requires_grad_()
    soft = t.clone().requires_grad_()
    with pytest.raises(RuntimeError, match="targets requires grad"):
        fl.sigmoid_focal_loss(x, soft, reduction="sum").backward()
    with pytest.raises(RuntimeError, match="weights requires grad"):
        fl.sigmoid_focal_loss(x, t, reduction="sum", weights=torch.ones_like(t, requires_grad=True)).backward()
    y = torch.tensor([0, 1, 2, 1])
    with pytest.raises(RuntimeError, match="alpha requires grad"):
        alpha = torch.ones(3, dtype=torch.float64, requires_grad=True)
        fl.softmax_focal_loss(x, y, alpha).backward()
    # Targets that do not require grad are fine, whatever requires grad upstream of the logits.
    layer = torch.nn.Linear(3, 3).double()
    fl.sigmoid_focal_loss(layer(x.detach()), t, reduction="sum").backward()
    assert layer.weight.grad is not None and torch.isfinite(layer.weight.grad).all()


@pytest.mark.usefixtures("both_paths")
@pytest.mark.parametrize("recompute", [False, True])
def test_normalizer_gradient(recompute):
    """A normalizer tensor that requires grad gets the mean's derivative, -loss / n (checked by
    gradcheck and against torchvision's sum / n); one that does not is only read."""
    x, t = _data((5, 3))
    x.requires_grad_()
    n = torch.tensor(2.5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, n: fl.sigmoid_focal_loss(x, t, reduction="mean", normalizer=n, recompute=recompute), (x, n))
    y = torch.tensor([0, 2, 1, -100, 2])
    assert torch.autograd.gradcheck(
        lambda x, n: fl.softmax_focal_loss(x, y, reduction="mean", normalizer=n, recompute=recompute), (x, n))
    ours = torch.autograd.grad(fl.sigmoid_focal_loss(x, t, reduction="mean", normalizer=n, recompute=recompute),
                               (x, n))
    theirs = torch.autograd.grad(torchvision.ops.sigmoid_focal_loss(x, t, reduction="sum") / n, (x, n))
    _close(ours[0], theirs[0])
    _close(ours[1], theirs[1])
    n32 = torch.tensor([3.0], requires_grad=True)   # a one-element float32 tensor: its own dtype back
    fl.softmax_focal_loss(x, y, normalizer=n32).backward()
    assert n32.grad.dtype == torch.float32 and n32.grad.shape == (1,) and n32.grad.item() < 0


@pytest.mark.usefixtures("both_paths")
def test_double_backward_raises():
    x, t = _data((4, 3))
    x.requires_grad_()
    y = torch.tensor([0, 1, 2, 1])
    for loss in (fl.sigmoid_focal_loss(x, t, reduction="sum"), fl.softmax_focal_loss(x, y, reduction="none")):
        (g,) = torch.autograd.grad(loss.sum(), x, create_graph=True)   # a first derivative with a graph: fine
        assert g.requires_grad
        with pytest.raises(RuntimeError, match="second derivative"):
            g.pow(2).sum().backward()


@pytest.mark.usefixtures("both_paths")
def test_what_the_backward_pass_keeps():
    """Kept mode saves one new tensor, the gradient; recompute saves only tensors the caller
    already has (and the backward pass gives the same gradient)."""
    x, t = _data((32, 8))
    x.requires_grad_()
    for recompute in (False, True):
        saved = []
        with torch.autograd.graph.saved_tensors_hooks(lambda tensor: saved.append(tensor) or tensor, lambda s: s):
            loss = fl.sigmoid_focal_loss(x, t, reduction="mean", recompute=recompute)
        new = [s for s in saved if s.data_ptr() not in (x.data_ptr(), t.data_ptr())]
        if recompute:
            assert new == []
        else:
            assert len(new) == 1 and new[0].shape == x.shape
        _close(_grad(loss, x), _grad(torchvision.ops.sigmoid_focal_loss(x, t, reduction="mean"), x))


@pytest.mark.usefixtures("both_paths")
@pytest.mark.parametrize("recompute", [False, True])
def test_upstream_and_retained_graphs(recompute):
    """The kept gradient becomes the logits' gradient as it is, or scaled in place, only when the
    graph is freed after the pass: with retain_graph a second pass (and a third, through
    autograd.grad) sees it unchanged."""
    x, t = _data((16, 4))
    x.requires_grad_()
    expected = _grad(torchvision.ops.sigmoid_focal_loss(x, t, reduction="mean"), x)
    loss = fl.sigmoid_focal_loss(x, t, reduction="mean", recompute=recompute)
    (loss * 3).backward(retain_graph=True)
    _close(x.grad, 3 * expected)
    loss.backward(retain_graph=True)
    _close(x.grad, 4 * expected)
    (g,) = torch.autograd.grad(loss, x)   # graph freed by this pass
    _close(g, expected)
    y = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
    upstream = torch.linspace(-1, 2, 16, dtype=torch.float64)
    loss = fl.softmax_focal_loss(x, y, reduction="none", recompute=recompute)
    (g1,) = torch.autograd.grad(loss, x, upstream, retain_graph=True)
    (g2,) = torch.autograd.grad(loss, x, upstream)
    reference = _softmax_reference(x, y, None, 2.0, "none", -100, 0.0)
    (expected,) = torch.autograd.grad(reference, x, upstream)
    _close(g1, expected, rtol=1e-10)
    _close(g2, expected, rtol=1e-10)


@pytest.mark.usefixtures("both_paths")
def test_no_grad_and_inference_mode():
    x, t = _data((10, 3))
    expected = torchvision.ops.sigmoid_focal_loss(x, t)
    x.requires_grad_()
    with torch.no_grad():
        loss = fl.sigmoid_focal_loss(x, t)
    assert not loss.requires_grad
    _close(loss, expected)
    with torch.inference_mode():
        _close(fl.sigmoid_focal_loss(x.detach(), t), expected)


# ---- torch.compile and training ----------------------------------------------------------------

class _Net(torch.nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, classes))

    def forward(self, x):
        return self.body(x)


def _batch(classes, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 6, dtype=torch.float64, generator=generator)
    labels = torch.randint(0, classes, (64,), generator=generator)
    return x, labels


@pytest.mark.parametrize("loss_name", ["sigmoid", "softmax"])
def test_compile_fullgraph(loss_name):
    torch._dynamo.reset()
    x, labels = _batch(4)
    targets = F.one_hot(labels, 4).to(torch.float64)
    net = _Net(4).double()
    if loss_name == "sigmoid":
        def step(x):
            return fl.sigmoid_focal_loss(net(x), targets, reduction="mean")
    else:
        criterion = fl.FocalLoss(alpha=[1.0, 2.0, 1.0, 0.5], gamma=2.0)

        def step(x):
            return criterion(net(x), labels)
    compiled = torch.compile(step, fullgraph=True)
    eager_loss = step(x)
    eager_grads = torch.autograd.grad(eager_loss, list(net.parameters()))
    compiled_loss = compiled(x)
    compiled_grads = torch.autograd.grad(compiled_loss, list(net.parameters()))
    _close(compiled_loss, eager_loss)
    for a, b in zip(compiled_grads, eager_grads):
        _close(a, b)


def test_compiled_double_backward_raises():
    torch._dynamo.reset()
    x, t = _data((6, 3))
    x.requires_grad_()
    compiled = torch.compile(lambda a: fl.sigmoid_focal_loss(a, t, reduction="sum"), fullgraph=True)
    (g,) = torch.autograd.grad(compiled(x), x, create_graph=True)
    _close(g, _grad(torchvision.ops.sigmoid_focal_loss(x, t, reduction="sum"), x))
    with pytest.raises(RuntimeError, match="double backward"):
        g.pow(2).sum().backward()


@pytest.mark.usefixtures("both_paths")
def test_autocast():
    """Under torch.autocast a bfloat16 model's logits give a float32 loss, as cross_entropy's
    (autocast runs torch's losses in float32) and torchvision's (whose sigmoid stays in bfloat16,
    so it is compared on the logits cast to float32: what the whole loss in float32 gives), and
    the gradient flows back through the cast to the bfloat16 logits."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(6, 4)
    x = torch.randn(8, 6)
    t = (torch.rand(8, 4) < 0.3).float()
    y = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = layer(x)
        assert logits.dtype == torch.bfloat16
        pairs = [(fl.sigmoid_focal_loss(logits, t, reduction="sum"),
                  torchvision.ops.sigmoid_focal_loss(logits.float(), t, reduction="sum")),
                 (fl.softmax_focal_loss(logits, y, gamma=0.0), F.cross_entropy(logits, y))]
    for ours, theirs in pairs:
        assert ours.dtype == theirs.dtype == torch.float32
        _close(ours, theirs, rtol=1e-5, atol=1e-6)
        (g,) = torch.autograd.grad(ours, layer.weight, retain_graph=True)
        (h,) = torch.autograd.grad(theirs, layer.weight, retain_graph=True)
        _close(g, h, rtol=1e-4, atol=1e-5)


def test_training_loop_matches_torchvision():
    """A few SGD steps of an MLP on the focal loss: ours and torchvision's runs stay together to
    rounding (float64), and the loss goes down."""
    x, labels = _batch(3, seed=1)
    targets = F.one_hot(labels, 3).to(torch.float64)
    runs = []
    for loss_fn in (fl.sigmoid_focal_loss, torchvision.ops.sigmoid_focal_loss):
        torch.manual_seed(0)
        model = _Net(3).double()
        optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
        losses = []
        for _ in range(20):
            optimizer.zero_grad()
            loss = loss_fn(model(x), targets, reduction="mean")
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        runs.append(losses)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12)
    assert runs[0][-1] < 0.8 * runs[0][0]


# ---- Errors ------------------------------------------------------------------------------------

def test_errors():
    x, t = _data((4, 3))
    with pytest.raises(ValueError, match="device meta"):
        fl.sigmoid_focal_loss(x.to("meta"), t.to("meta"))
    with pytest.raises(ValueError, match="targets is on device meta"):
        fl.sigmoid_focal_loss(x, t.to("meta"))
    with pytest.raises(ValueError, match="weights is on device meta"):
        fl.sigmoid_focal_loss(x, t, weights=t.to("meta"))
    with pytest.raises(TypeError, match="inputs must have dtype"):
        fl.sigmoid_focal_loss(x.long(), t)
    with pytest.raises(TypeError, match="targets must have the logits' dtype"):
        fl.sigmoid_focal_loss(x, t.float())
    with pytest.raises(TypeError, match="must be a torch.Tensor"):
        fl.sigmoid_focal_loss(x, t.numpy())
    with pytest.raises(ValueError, match="reduction"):
        fl.sigmoid_focal_loss(x, t, reduction="avg")
    with pytest.raises(ValueError, match="gamma"):
        fl.sigmoid_focal_loss(x, t, gamma=-1.0)
    with pytest.raises(ValueError, match="target"):
        fl.sigmoid_focal_loss(x, t * 2)
    with pytest.raises(TypeError, match="class-probability"):
        fl.softmax_focal_loss(x, t)
    with pytest.raises(ValueError, match="target"):
        fl.softmax_focal_loss(x, torch.tensor([0, 1, 3, 0]))
    with pytest.raises(TypeError, match="class weights"):
        fl.softmax_focal_loss(x, torch.tensor([0, 1, 2, 0]), alpha=0.25)
    with pytest.raises(ValueError, match="normalizer"):
        fl.sigmoid_focal_loss(x, t, reduction="mean", normalizer=torch.ones(2))
    with pytest.raises(ValueError, match="precision"):
        fl.softmax_focal_loss(x, torch.tensor([0, 1, 2, 0]), precision="sloppy")


def test_import_focalloss_does_not_import_torch():
    code = "import sys, focalloss; assert 'torch' not in sys.modules, 'torch imported'; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_numpy_api_reads_tensors_through_dlpack():
    x, t = _data((5, 4), dtype=torch.float32)
    loss, grad = focalloss.sigmoid_focal_loss(x, t, return_grad=True)
    ref_loss, ref_grad = focalloss.sigmoid_focal_loss(x.numpy(), t.numpy(), return_grad=True)
    assert isinstance(loss, np.ndarray) and np.array_equal(loss, ref_loss) and np.array_equal(grad, ref_grad)
    y = torch.tensor([0, 1, 3, 2, 1])
    assert focalloss.softmax_focal_loss(x, y) == focalloss.softmax_focal_loss(x.numpy(), y.numpy())
    with pytest.raises(TypeError, match="DLPack"):
        focalloss.sigmoid_focal_loss(x.requires_grad_(), t)   # torch refuses to export it


# ---- The focal family: FL*, asymmetric, quality focal, varifocal ---------------------------------
#
# Each against a float64 torch transcription of its definition (docs/math.md; loss and autograd's
# gradient), the numpy API bit for bit in every dtype, gradcheck, torch.compile and its module.
# timm, fvcore and mmdet are not installed here: the numpy-level tests compare the library with
# their values (Tests/golden/focal_family.json).

def _fl_star_reference(x, t, alpha=None, gamma=1.0, beta=0.0):
    """fvcore's sigmoid_focal_loss_star with a shift: alpha_t softplus(-(gamma x_t + beta)) / gamma
    (as -logsigmoid: F.softplus is x itself beyond its threshold, 20)."""
    loss = -F.logsigmoid(gamma * (2 * t - 1) * x + beta) / gamma
    return loss if alpha is None else (alpha * t + (1 - alpha) * (1 - t)) * loss


def _asl_reference(x, t, gamma_pos=1.0, gamma_neg=4.0, margin=0.05):
    """timm's AsymmetricLossMultiLabel per element, without its eps clamp, its logs and 1 - s
    taken in log space: -u^g (t log s + (1 - t) log(1 - p_m)), p_m = max(s - margin, 0)."""
    s = torch.sigmoid(x)
    above = s > margin
    p_m = torch.where(above, s - margin, torch.zeros_like(s))
    log_one_minus_p_m = torch.where(above, torch.log(torch.sigmoid(-x) + margin), torch.zeros_like(s))
    u = t * torch.sigmoid(-x) + (1 - t) * p_m
    g = gamma_pos * t + gamma_neg * (1 - t)
    return -u ** g * (t * F.logsigmoid(x) + (1 - t) * log_one_minus_p_m)


def _qfl_reference(x, t, beta=2.0):
    """mmdet's quality_focal_loss on dense targets: |t - s|^beta BCEWithLogits(x, t)."""
    return (torch.sigmoid(x) - t).abs() ** beta * F.binary_cross_entropy_with_logits(x, t, reduction="none")


def _vfl_reference(x, t, alpha=0.75, gamma=2.0, iou_weighted=True):
    """mmdet's varifocal_loss per element: w BCE(x, q) for q > 0, alpha s^gamma BCE(x, 0) for q = 0."""
    bce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    positive = (t if iou_weighted else torch.ones_like(t)) * bce
    negative = alpha * torch.sigmoid(x) ** gamma * bce
    return torch.where(t > 0, positive, negative)


#: name: (function, module, reference, parameter sets: defaults first, then ones that move every
#: parameter; gamma < 1, margins, betas, iou_weighted off).
FAMILY = {
    "sigmoid_focal_star_loss": (fl.sigmoid_focal_star_loss, fl.SigmoidFocalStarLoss, _fl_star_reference,
                                [{}, dict(alpha=0.25, gamma=2.0, beta=1.0), dict(alpha=0.75, gamma=0.5, beta=-0.5)]),
    "asymmetric_loss": (fl.asymmetric_loss, fl.AsymmetricLoss, _asl_reference,
                        [{}, dict(gamma_pos=0.0, gamma_neg=2.0, margin=0.2),
                         dict(gamma_pos=2.5, gamma_neg=1.5, margin=0.0)]),
    "quality_focal_loss": (fl.quality_focal_loss, fl.QualityFocalLoss, _qfl_reference,
                           [{}, dict(beta=0.0), dict(beta=1.5)]),
    "varifocal_loss": (fl.varifocal_loss, fl.VarifocalLoss, _vfl_reference,
                       [{}, dict(alpha=0.5, gamma=1.5, iou_weighted=False), dict(alpha=1.0, gamma=0.5)]),
}
FAMILY_NAMES = list(FAMILY)
FAMILY_CASES = [(name, i) for name in FAMILY for i in range(3)]


def _family_data(shape, dtype=torch.float64, soft=True, seed=0, scale=3.0):
    """Logits and targets in [0, 1]: hard 0/1 (a fifth positive), or soft with a third exact 0
    (VFL's negatives, QFL's other classes) and a tenth exact 1."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, dtype=torch.float64, generator=generator) * scale
    if soft:
        u = torch.rand(shape, dtype=torch.float64, generator=generator)
        t = torch.where(u < 0.33, torch.zeros_like(u), torch.where(u > 0.9, torch.ones_like(u), u))
    else:
        t = (torch.rand(shape, generator=generator) < 0.2).to(torch.float64)
    return x.to(dtype), t.to(dtype)


def _reduce(loss, reduction, normalizer=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.numel() if normalizer is None else normalizer)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("name, case", FAMILY_CASES)
def test_family_matches_reference(name, case, soft, reduction):
    function, _, reference, parameter_sets = FAMILY[name]
    parameters = parameter_sets[case]
    x, t = _family_data((12, 5, 3), soft=soft, seed=case + 10 * soft)
    w = torch.rand(12, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(case))
    x.requires_grad_()
    ours = function(x, t, reduction=reduction, weights=w, **parameters)
    theirs = _reduce(reference(x, t, **parameters) * w.unsqueeze(1), reduction)
    assert ours.shape == theirs.shape and ours.dtype == torch.float64
    _close(ours, theirs)
    upstream = torch.rand(ours.shape, dtype=torch.float64) + 0.5   # elementwise for "none"
    (g,) = torch.autograd.grad(ours, x, upstream)
    (h,) = torch.autograd.grad(theirs, x, upstream)
    _close(g, h, rtol=1e-10, atol=1e-14)


def test_family_known_limits():
    """FL* at gamma 1, beta 0 and QFL at beta 0 are BCE; ASL with equal gammas and no margin is
    the focal loss without alpha (torchvision's); VFL's positives with iou_weighted off are BCE."""
    x, t = _family_data((20, 4), soft=False)
    bce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    _close(fl.sigmoid_focal_star_loss(x, t), bce)
    _close(fl.quality_focal_loss(x, t, beta=0.0), bce)
    _close(fl.asymmetric_loss(x, t, 2.0, 2.0, 0.0), torchvision.ops.sigmoid_focal_loss(x, t, -1, 2.0))
    positives = t > 0
    _close(fl.varifocal_loss(x, t, iou_weighted=False)[positives], bce[positives])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", FAMILY_NAMES)
@pytest.mark.usefixtures("both_paths")
def test_family_equal_to_numpy_api(name, dtype):
    """The same library call as the numpy API: loss, gradient and statistics bit for bit, for
    "none" with per-position weights, "mean" with a normalizer and "sum" in the fast tier."""
    function, _, _, parameter_sets = FAMILY[name]
    parameters = parameter_sets[1]
    x, t = _family_data((8, 4, 3), dtype=dtype, seed=4)
    w = torch.rand(8, 3, generator=torch.Generator().manual_seed(5)).to(dtype)
    xn, tn, wn = fl._numpy(x), fl._numpy(t), fl._numpy(w)
    numpy_function = getattr(focalloss, name)
    for options in (dict(reduction="none", weights=w), dict(reduction="mean", normalizer=2.5),
                    dict(reduction="sum", precision="fast")):
        numpy_options = dict(options, weights=None if "weights" not in options else wn)
        xg = x.clone().requires_grad_()
        loss, stats = function(xg, t, **parameters, **options, return_stats=True)
        loss.backward(torch.ones_like(loss))
        ref_loss, ref_grad, ref_stats = numpy_function(xn, tn, **parameters, **numpy_options, return_grad=True,
                                                       return_stats=True)
        assert loss.dtype == dtype and xg.grad.dtype == dtype
        assert np.array_equal(fl._numpy(loss), np.asarray(ref_loss))
        assert np.array_equal(fl._numpy(xg.grad), ref_grad)
        assert stats == ref_stats


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", FAMILY_NAMES)
@pytest.mark.usefixtures("both_paths")
def test_family_gradcheck(name, reduction):
    function, _, _, parameter_sets = FAMILY[name]
    x, t = _family_data((5, 3, 2), seed=6, scale=2.0)
    x.requires_grad_()
    w = torch.rand(5, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    for parameters in parameter_sets[:2]:
        for recompute in (False, True):
            assert torch.autograd.gradcheck(
                lambda x: function(x, t, reduction=reduction, weights=w, recompute=recompute, **parameters), (x,))
    if reduction == "mean":   # a normalizer tensor gets d loss / d n = -loss / n
        n = torch.tensor(3.5, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x, n: function(x, t, reduction="mean", normalizer=n), (x, n))


@pytest.mark.usefixtures("both_paths")
@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_family_data_and_double_backward_raise(name):
    function = FAMILY[name][0]
    x, t = _family_data((4, 3))
    x.requires_grad_()
    with pytest.raises(RuntimeError, match="targets requires grad"):
        function(x, t.clone().requires_grad_(), reduction="sum").backward()
    with pytest.raises(RuntimeError, match="weights requires grad"):
        function(x, t, reduction="sum", weights=torch.ones_like(t, requires_grad=True)).backward()
    (g,) = torch.autograd.grad(function(x, t, reduction="sum"), x, create_graph=True)
    with pytest.raises(RuntimeError, match="second derivative"):
        g.pow(2).sum().backward()
    with torch.no_grad():
        assert not function(x, t).requires_grad


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_family_modules(name):
    function, module_class, _, parameter_sets = FAMILY[name]
    x, t = _family_data((6, 3, 2), seed=8)
    assert module_class()(x, t).equal(function(x, t))   # the same defaults
    parameters = parameter_sets[2]
    module = module_class(**parameters, reduction="mean", normalizer=4.0)
    assert module(x, t).equal(function(x, t, reduction="mean", normalizer=4.0, **parameters))
    w = torch.rand(6, 2, dtype=torch.float64)
    assert module(x, t, w, normalizer=torch.tensor(2.0)).equal(
        function(x, t, reduction="mean", normalizer=2.0, weights=w, **parameters))
    loss, stats = module_class(return_stats=True, reduction="sum")(x, t)
    assert stats.positives == pytest.approx(t.sum().item(), rel=1e-12) and stats.divisor == 1.0
    text = repr(module)
    for key, value in parameters.items():
        assert "%s=%r" % (key, value) in text, text
    assert "reduction='mean'" in text


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_family_compile_fullgraph(name):
    torch._dynamo.reset()
    function, module_class, _, parameter_sets = FAMILY[name]
    x, labels = _batch(4)
    _, soft = _family_data((64, 4), seed=9)
    targets = torch.maximum(soft, F.one_hot(labels, 4).to(torch.float64))
    net = _Net(4).double()
    criterion = module_class(**parameter_sets[1], reduction="mean")
    n = torch.tensor(16.0, dtype=torch.float64)

    def step(x):
        logits = net(x)
        return function(logits, targets, reduction="sum", **parameter_sets[2]) / 64 + criterion(logits, targets,
                                                                                               normalizer=n)
    compiled = torch.compile(step, fullgraph=True)
    eager_loss = step(x)
    eager_grads = torch.autograd.grad(eager_loss, list(net.parameters()))
    compiled_loss = compiled(x)
    compiled_grads = torch.autograd.grad(compiled_loss, list(net.parameters()))
    _close(compiled_loss, eager_loss)
    for a, b in zip(compiled_grads, eager_grads):
        _close(a, b)


def test_family_errors():
    x, t = _family_data((4, 3))
    for function, bad, message in [(fl.sigmoid_focal_star_loss, dict(gamma=0.0), "gamma"),
                                   (fl.sigmoid_focal_star_loss, dict(alpha=1.5), "alpha"),
                                   (fl.asymmetric_loss, dict(margin=1.5), "margin"),
                                   (fl.asymmetric_loss, dict(gamma_neg=-1.0), "gamma_neg"),
                                   (fl.quality_focal_loss, dict(beta=float("nan")), "beta"),
                                   (fl.varifocal_loss, dict(alpha=-0.5), "alpha")]:
        with pytest.raises(ValueError, match=message):
            function(x, t, **bad)
    with pytest.raises(TypeError, match="iou_weighted must be a bool"):
        fl.varifocal_loss(x, t, iou_weighted=1)
    with pytest.raises(TypeError, match="beta must be a real number"):
        fl.quality_focal_loss(x, t, beta="2")
    with pytest.raises(ValueError, match="target"):
        fl.asymmetric_loss(x, t * 2)
    with pytest.raises(ValueError, match="device meta"):
        fl.varifocal_loss(x.to("meta"), t.to("meta"))
    with pytest.raises(TypeError, match="targets must have the logits' dtype"):
        fl.quality_focal_loss(x, t.float())
    with pytest.raises(ValueError, match="reduction"):
        fl.sigmoid_focal_star_loss(x, t, reduction="avg")
    # FL*: any negative alpha disables the weighting, as in fvcore (`if alpha >= 0`).
    assert fl.sigmoid_focal_star_loss(x, t, alpha=-0.5).equal(fl.sigmoid_focal_star_loss(x, t))


# ---- Poly-1 ---------------------------------------------------------------------------------------

def _poly1_sigmoid_reference(x, t, alpha, gamma, epsilon, reduction):
    """torchvision's focal loss plus epsilon (1 - p_t)^(gamma + 1) per element."""
    p = torch.sigmoid(x)
    one_minus_p_t = p * (1 - t) + (1 - p) * t
    loss = torchvision.ops.sigmoid_focal_loss(x, t, alpha, gamma) + epsilon * one_minus_p_t ** (gamma + 1)
    return _reduce(loss, reduction)


def _poly1_softmax_reference(x, y, alpha, gamma, epsilon, reduction, ignore_index, weights):
    """-a_y (1 - p_y)^gamma log p_y + epsilon (1 - p_y)^(gamma + 1) per position, times its weight, 0
    where ignored; the mean divides by sum(w a_y), as without the polynomial term."""
    focal = _softmax_reference(x, y, alpha, gamma, "none", ignore_index, 0.0, weights)
    kept = y != ignore_index
    safe = torch.where(kept, y, torch.zeros_like(y))
    p_y = F.softmax(x, dim=1).gather(1, safe.unsqueeze(1)).squeeze(1)
    loss = focal + torch.where(kept, weights * epsilon * (1 - p_y) ** (gamma + 1), torch.zeros_like(focal))
    if reduction != "mean":
        return _reduce(loss, reduction)
    a_y = torch.as_tensor(alpha, dtype=x.dtype)[safe]
    return loss.sum() / torch.where(kept, a_y * weights, torch.zeros_like(loss)).sum()


POLY1 = [(0.25, 2.0, 1.0), (-1, 2.0, -1 / 3), (0.25, 0.5, 2.0), (-1, 0.0, -1.0)]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("alpha, gamma, epsilon", POLY1)
@pytest.mark.usefixtures("both_paths")
def test_poly1_sigmoid_matches_reference(alpha, gamma, epsilon, reduction):
    x, t = _data((10, 4, 3), soft=True, seed=11)
    x.requires_grad_()
    ours = fl.sigmoid_focal_loss(x, t, alpha, gamma, reduction, poly1_epsilon=epsilon)
    theirs = _poly1_sigmoid_reference(x, t, alpha, gamma, epsilon, reduction)
    _close(ours, theirs, rtol=1e-11, atol=1e-14)
    _close(_grad(ours, x), _grad(theirs, x), rtol=1e-10, atol=1e-14)
    # From labels: the same on the one-hot targets without the ignored positions.
    labels = torch.randint(0, 5, (10, 3), generator=torch.Generator().manual_seed(12))
    labels[0, 0] = -100
    onehot = F.one_hot(labels.clamp(min=0), 5)[..., :4].movedim(-1, 1).to(torch.float64)
    kept = (labels != -100).unsqueeze(1).to(torch.float64)
    ours = fl.sigmoid_focal_loss_from_labels(x, labels, alpha, gamma, "none", poly1_epsilon=epsilon)
    theirs = _poly1_sigmoid_reference(x, onehot, alpha, gamma, epsilon, "none") * kept
    _close(ours, theirs, rtol=1e-11, atol=1e-14)
    _close(_grad(ours, x), _grad(theirs, x), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("alpha, gamma, epsilon", POLY1)
@pytest.mark.usefixtures("both_paths")
def test_poly1_softmax_matches_reference(alpha, gamma, epsilon, reduction):
    generator = torch.Generator().manual_seed(13)
    x = (torch.randn(6, 4, 3, dtype=torch.float64, generator=generator) * 3).requires_grad_()
    y = torch.randint(0, 4, (6, 3), generator=generator)
    y[0, 0] = 255
    w = torch.rand(6, 3, dtype=torch.float64, generator=generator)
    class_weights = [0.25, 1.0, 2.0, 0.5] if alpha > 0 else [1.0] * 4
    ours = fl.softmax_focal_loss(x, y, class_weights, gamma, reduction, ignore_index=255, weights=w,
                                 poly1_epsilon=epsilon)
    theirs = _poly1_softmax_reference(x, y, class_weights, gamma, epsilon, reduction, 255, w)
    _close(ours, theirs, rtol=1e-11, atol=1e-14)
    _close(_grad(ours, x), _grad(theirs, x), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.usefixtures("both_paths")
def test_poly1_zero_is_the_focal_loss_and_equal_to_numpy_api(dtype):
    """poly1_epsilon = 0 gives the focal loss bit for bit (loss and gradient), and a nonzero one
    the numpy API's call bit for bit, for the three functions."""
    x, t = _data((8, 5, 3), dtype=torch.float32, seed=14)
    x, t = x.to(dtype), t.to(dtype)
    labels = torch.randint(0, 6, (8, 3), generator=torch.Generator().manual_seed(15))
    xn = fl._numpy(x)
    calls = [(fl.sigmoid_focal_loss, focalloss.sigmoid_focal_loss, t, fl._numpy(t), dict(reduction="sum")),
             (fl.sigmoid_focal_loss_from_labels, focalloss.sigmoid_focal_loss_from_labels, labels,
              fl._numpy(labels), dict(reduction="none")),
             (fl.softmax_focal_loss, focalloss.softmax_focal_loss, labels.clamp(max=4), fl._numpy(labels.clamp(max=4)),
              dict(reduction="mean"))]
    for function, numpy_function, target, target_numpy, options in calls:
        results = []
        for epsilon in (None, 0.0, 0, 0.5):
            xg = x.clone().requires_grad_()
            extra = {} if epsilon is None else dict(poly1_epsilon=epsilon)
            loss = function(xg, target, **options, **extra)
            loss.backward(torch.ones_like(loss))
            results.append((fl._numpy(loss).tobytes(), fl._numpy(xg.grad).tobytes()))
            ref_loss, ref_grad = numpy_function(xn, target_numpy, **options, **extra, return_grad=True)
            assert results[-1] == (np.asarray(ref_loss).tobytes(), ref_grad.tobytes())
        assert results[0] == results[1] == results[2] != results[3]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.usefixtures("both_paths")
def test_poly1_gradcheck(reduction):
    """Every reduction, the gradient kept or recomputed, and for "mean" a normalizer tensor."""
    x, t = _data((5, 3, 2), soft=True, scale=2.0, seed=16)
    x.requires_grad_()
    inputs = (x, torch.tensor(2.5, dtype=torch.float64, requires_grad=True)) if reduction == "mean" else (x,)
    y = torch.tensor([[0, 1], [2, -100], [1, 1], [0, 2], [2, 2]])
    labels = torch.tensor([[0, 3], [2, -100], [1, 1], [0, 2], [3, 2]])
    for recompute in (False, True):
        for function in (
                lambda x, n=None: fl.sigmoid_focal_loss(x, t, 0.3, 1.5, reduction, poly1_epsilon=0.7, normalizer=n,
                                                        recompute=recompute),
                lambda x, n=None: fl.sigmoid_focal_loss_from_labels(x, labels, reduction=reduction, poly1_epsilon=-0.2,
                                                                    normalizer=n, recompute=recompute),
                lambda x, n=None: fl.softmax_focal_loss(x, y, [0.5, 1.0, 2.0], 2.0, reduction, poly1_epsilon=1.0,
                                                        normalizer=n, recompute=recompute)):
            assert torch.autograd.gradcheck(function, inputs)


def test_poly1_modules_and_compile():
    torch._dynamo.reset()
    x, labels = _batch(4, seed=2)
    targets = F.one_hot(labels, 4).to(torch.float64)
    net = _Net(4).double()
    sigmoid = fl.SigmoidFocalLoss(gamma=1.5, reduction="mean", poly1_epsilon=1.0)
    softmax = fl.FocalLoss(alpha=[1.0, 2.0, 1.0, 0.5], poly1_epsilon=-0.25)
    assert "poly1_epsilon=1.0" in repr(sigmoid) and "poly1_epsilon=-0.25" in repr(softmax)
    logits = net(x)
    assert sigmoid(logits, targets).equal(fl.sigmoid_focal_loss(logits, targets, gamma=1.5, reduction="mean",
                                                                poly1_epsilon=1.0))
    assert softmax(logits, labels).equal(fl.softmax_focal_loss(logits, labels, [1.0, 2.0, 1.0, 0.5],
                                                               poly1_epsilon=-0.25))
    assert not sigmoid(logits, targets).equal(fl.sigmoid_focal_loss(logits, targets, gamma=1.5, reduction="mean"))

    def step(x):
        logits = net(x)
        return sigmoid(logits, targets) + softmax(logits, labels)
    compiled = torch.compile(step, fullgraph=True)
    eager_loss = step(x)
    eager_grads = torch.autograd.grad(eager_loss, list(net.parameters()))
    compiled_loss = compiled(x)
    compiled_grads = torch.autograd.grad(compiled_loss, list(net.parameters()))
    _close(compiled_loss, eager_loss)
    for a, b in zip(compiled_grads, eager_grads):
        _close(a, b)


def test_poly1_errors():
    x, t = _data((4, 3))
    y = torch.tensor([0, 1, 2, 1])
    with pytest.raises(ValueError, match="poly1_epsilon"):
        fl.sigmoid_focal_loss(x, t, gamma=2.0, poly1_epsilon=-0.5)   # below -1 / (gamma + 1)
    with pytest.raises(ValueError, match="poly1_epsilon"):
        fl.softmax_focal_loss(x, y, poly1_epsilon=float("inf"))
    with pytest.raises(ValueError, match="label_smoothing|poly1_epsilon"):
        fl.softmax_focal_loss(x, y, label_smoothing=0.1, poly1_epsilon=1.0)
    with pytest.raises(TypeError, match="poly1_epsilon must be a real number"):
        fl.sigmoid_focal_loss_from_labels(x, y, poly1_epsilon="1")
