"""Per-call cost of focalloss.torch on tiny inputs, beside torchvision: median of many timed
calls (1 torch thread), forward + backward and forward under no_grad.

    PYTHONPATH=bindings/python build/test-venv/bin/python tools/torch_overhead.py

"eager" is the path every eager call takes (a plain torch.autograd.Function over the library);
"custom op" is the torch.library custom operators' path, the one torch.compile compiles, timed
here in eager mode to show what their Python dispatch costs.
"""

import statistics
import timeit

import torch
import torchvision

import focalloss.torch as fl

torch.set_num_threads(1)
x = torch.linspace(-3, 3, 8).reshape(8, 1).requires_grad_()
t = (torch.arange(8) % 2).float().reshape(8, 1)
xs = torch.linspace(-3, 3, 10).reshape(2, 5).requires_grad_()
ys = torch.tensor([1, 3])


def median_us(call, number=500, repeat=9):
    call()
    return statistics.median(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6


def step(loss_fn, logits, target):
    def call():
        logits.grad = None
        loss_fn(logits, target).backward()
    return call


def forward(loss_fn, logits, target):
    def call():
        with torch.no_grad():
            loss_fn(logits, target)
    return call


sigmoid = lambda a, b: fl.sigmoid_focal_loss(a, b, reduction="sum")
softmax = lambda a, b: fl.softmax_focal_loss(a, b, reduction="sum")
vision = lambda a, b: torchvision.ops.sigmoid_focal_loss(a, b, reduction="sum")


def softmax_torch(a, b):
    logp = torch.log_softmax(a, dim=1).gather(1, b.unsqueeze(1))
    return -((-torch.expm1(logp)) ** 2 * logp).sum()


print("torch %s, 1 thread; median us per call" % torch.__version__)
print("%-56s %16s %16s" % ("", "forward+backward", "forward no_grad"))


def report(label, loss_fn, logits, target):
    print("%-56s %16.1f %16.1f" % (label, median_us(step(loss_fn, logits, target)),
                                   median_us(forward(loss_fn, logits, target))))


for fast in (True, False):
    fl._EAGER_FAST_PATH = fast
    path = "eager" if fast else "custom op"
    report("focalloss.torch sigmoid, 8 elements (%s)" % path, sigmoid, x, t)
    report("focalloss.torch softmax, 2 x 5 (%s)" % path, softmax, xs, ys)
fl._EAGER_FAST_PATH = True
report("torchvision sigmoid_focal_loss, 8 elements", vision, x, t)
report("torch softmax focal loss (log_softmax, gather), 2 x 5", softmax_torch, xs, ys)
